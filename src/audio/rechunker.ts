/**
 * Cuts a stream of arbitrary-size chunks into frames of exactly `frameSamples` samples (e.g. 100 ms
 * for the recognizer). Every frame returned is a new array the caller owns.
 */
export class Rechunker {
  private readonly pending: Int16Array;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples < 1)
      throw new RangeError(`frameSamples must be a positive integer (got ${frameSamples})`);
    this.pending = new Int16Array(frameSamples);
  }

  /** Samples held back until the next frame fills. */
  get pendingSamples(): number {
    return this.filled;
  }

  /** Full frames completed by this chunk, oldest first (often none or one). */
  push(samples: Int16Array): Int16Array[] {
    const size = this.frameSamples;
    const frames: Int16Array[] = [];
    let offset = 0;
    if (this.filled > 0) {
      const take = Math.min(size - this.filled, samples.length);
      this.pending.set(samples.subarray(0, take), this.filled);
      this.filled += take;
      offset = take;
      if (this.filled < size) return frames;
      frames.push(this.pending.slice());
      this.filled = 0;
    }
    while (samples.length - offset >= size) {
      frames.push(samples.slice(offset, offset + size));
      offset += size;
    }
    if (offset < samples.length) {
      this.pending.set(samples.subarray(offset), 0);
      this.filled = samples.length - offset;
    }
    return frames;
  }

  /** The last, partial frame (shorter than frameSamples), or undefined when nothing is pending. */
  flush(): Int16Array | undefined {
    if (this.filled === 0) return undefined;
    const last = this.pending.slice(0, this.filled);
    this.filled = 0;
    return last;
  }
}
