/**
 * Splits a byte stream into newline-terminated lines with a length cap. Pure:
 * the socket glue pushes chunks in and acts on the frames that come out.
 *
 * A line longer than the cap is reported once as `oversized` and its bytes are
 * discarded up to the next newline, after which framing resumes: one runaway
 * request does not poison the connection.
 */
export type Frame = { readonly kind: 'line'; readonly text: string } | { readonly kind: 'oversized' };

const NEWLINE = 0x0a;

export class LineFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      this.takeLine(chunk.subarray(start, nl), frames);
      start = nl + 1;
    }
    this.keepTail(chunk.subarray(start), frames);
    return frames;
  }

  /** The stream ended: an unterminated last line still counts as a line. */
  end(): Frame[] {
    const frames: Frame[] = [];
    if (!this.discarding && this.pendingBytes > 0) this.takeLine(Buffer.alloc(0), frames);
    this.discarding = false;
    this.reset();
    return frames;
  }

  /** Bytes buffered towards an unfinished line. */
  bufferedBytes(): number {
    return this.pendingBytes;
  }

  private takeLine(piece: Buffer, frames: Frame[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.pendingBytes + piece.length > this.maxLineBytes) {
      this.reset();
      frames.push({ kind: 'oversized' });
      return;
    }
    const whole = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
    this.reset();
    const text = whole.toString('utf8').replace(/\r$/, '');
    if (text.trim() !== '') frames.push({ kind: 'line', text });
  }

  private keepTail(tail: Buffer, frames: Frame[]): void {
    if (this.discarding || tail.length === 0) return;
    if (this.pendingBytes + tail.length > this.maxLineBytes) {
      this.reset();
      this.discarding = true;
      frames.push({ kind: 'oversized' });
      return;
    }
    this.pending.push(Buffer.from(tail));
    this.pendingBytes += tail.length;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
