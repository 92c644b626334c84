import type { CallSession } from '../../session/types.js';

/** How often a paused socket checks whether the recognizers have caught up, ms. */
const POLL_MS = 20;

/** The part of a socket that flow control needs (ws WebSocket pause/resume). */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

/**
 * Opt-in flow control for a client that sends faster than real time: audio is handed to the call
 * only while its recognizers are less than half a queue (asr.maxQueueMs) behind; beyond that it waits
 * here and the socket is paused, so TCP slows the client down instead of the drop policy losing
 * audio. Reading resumes once the backlog is down to a quarter. What waits here is bounded by what
 * the socket had already read when it was paused.
 */
export class PacedFeeder {
  private readonly pending: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopWhenDrained = false;
  private disposed = false;

  constructor(
    private readonly session: CallSession,
    private readonly maxQueueMs: number,
    private readonly source: PausableSource,
    private readonly handlers: { onError: (err: unknown) => void; onDrainedStop: () => void },
  ) {}

  push(audio: Buffer): void {
    this.pending.push(audio);
    this.drain();
  }

  /** The client sent `stop`: end the call once the audio waiting here has been handed over. */
  stop(): void {
    this.stopWhenDrained = true;
    this.drain();
  }

  /** The client went away: hand everything over now (the drop policy applies) and stop polling. */
  flush(): void {
    this.stopTimer();
    try {
      while (this.pending.length > 0) this.session.pushAudio(this.pending.shift()!);
    } catch {
      // The call is being torn down; a bad frame here has nobody left to tell.
    }
    this.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.pending.length = 0;
    this.stopTimer();
  }

  private drain(): void {
    if (this.disposed) return;
    try {
      while (this.pending.length > 0 && this.session.asrBacklogMs < this.maxQueueMs / 2) this.session.pushAudio(this.pending.shift()!);
    } catch (err) {
      this.dispose();
      this.handlers.onError(err);
      return;
    }
    if (this.pending.length > 0) {
      if (!this.timer) {
        this.source.pause();
        this.timer = setInterval(() => this.drain(), POLL_MS);
      }
      return;
    }
    if (this.stopWhenDrained) {
      this.dispose();
      this.handlers.onDrainedStop();
      return;
    }
    if (this.timer && this.session.asrBacklogMs <= this.maxQueueMs / 4) this.stopTimer();
  }

  private stopTimer(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.source.resume();
  }
}
