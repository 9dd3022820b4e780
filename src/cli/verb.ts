/** What a CLI verb sees of the world: argv after the verb, and where to write. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface Verb {
  readonly name: string;
  /** One line for `lvs-ha --help`. */
  readonly summary: string;
  /** Full text for `lvs-ha VERB --help`. */
  readonly help: string;
  /** Returns the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
