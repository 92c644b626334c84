/**
 * How fast `voc replay` hands a recording to the engine.
 * - speed: like a live call at `factor` times real time (1 = --realtime), by the audio clock;
 * - asap: as fast as the recognizers keep up; feeding pauses while more than `maxBacklogMs` of audio
 *   waits for them, so no audio is dropped for being early (a live call would never send it that fast).
 */
export type PaceMode = { kind: 'asap'; maxBacklogMs: number } | { kind: 'speed'; factor: number };

export class Pacer {
  private startedAt: number | undefined;

  constructor(
    private readonly mode: PaceMode,
    /** Milliseconds of audio queued in front of the recognizers right now. */
    private readonly backlogMs: () => number | Promise<number>,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    private readonly now: () => number = Date.now,
  ) {}

  /** Waits until the chunk that starts at `audioMs` (call time) may be sent. */
  async before(audioMs: number): Promise<void> {
    if (this.mode.kind === 'speed') {
      this.startedAt ??= this.now();
      const due = this.startedAt + audioMs / this.mode.factor;
      const wait = due - this.now();
      if (wait >= 2) await this.sleep(wait); // below timer resolution: send now, catch up later
      return;
    }
    const { maxBacklogMs } = this.mode;
    if ((await this.backlogMs()) <= maxBacklogMs) return;
    // Resume at half the limit, so feeding goes in bursts instead of one chunk per poll.
    while ((await this.backlogMs()) > maxBacklogMs / 2) await this.sleep(10);
  }
}
