/**
 * A counting semaphore over libvosk calls: at most `limit` run at once, process-wide, and waiters are
 * served first come, first served. A stream takes a slot per chunk and queues again behind the others
 * for its next chunk, so under load every call advances in turn instead of one busy stream hogging
 * the pool.
 */
export class DecodeSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`decode slots must be a positive integer (got ${limit})`);
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Streams waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}
