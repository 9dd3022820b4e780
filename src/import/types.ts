/** Shared shapes of the Keepalived importer. */

/** A place in a Keepalived source file (1-based; line 0 = the file as a whole). */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A warning (something not converted, or converted with changed meaning) or an error. */
export interface Finding {
  readonly loc: Loc;
  readonly message: string;
}

/** One statement: a keyword, its arguments, and its block when it has one. */
export interface Stmt {
  readonly keyword: string;
  readonly args: readonly string[];
  readonly loc: Loc;
  /** Where each argument starts (same length as args). */
  readonly argLocs: readonly Loc[];
  readonly block: readonly Stmt[] | null;
}

export function formatLoc(loc: Loc): string {
  return loc.line === 0 ? loc.file : `${loc.file}:${loc.line}:${loc.column}`;
}
