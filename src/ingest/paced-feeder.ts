import type { CallSession } from '../session/types.js';

/** How often a paused socket checks whether the recognizers have caught up, ms. */
const POLL_MS = 20;
/** How often frames waiting for their decode-paced reply are checked, ms. */
const REPLY_POLL_MS = 5;

/** The part of a socket that flow control needs (ws WebSocket, grpc-js server stream: pause/resume). */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

export interface PacedFeederOptions {
  /** asr.maxQueueMs: audio waits here while the recognizers are half of it behind. */
  maxQueueMs: number;
  /**
   * For decode-paced replies (push with onDecoded): the wire audio's bytes per ms, and asr.chunkMs
   * (the recognizer decodes whole chunks; less than one chunk left over counts as decoded, since it
   * waits for more audio).
   */
  pacing?: { bytesPerMs: number; chunkMs: number };
}

interface Waiting {
  audio: Buffer;
  onDecoded: (() => void) | undefined;
  /** Run when the frame is handed to the call, after every earlier frame (a marker's action, e.g. reset). */
  onFed: (() => void) | undefined;
}

/**
 * Flow control for a client that sends faster than real time: audio is handed to the call only while
 * its recognizers are less than half a queue (asr.maxQueueMs) behind; beyond that it waits here and
 * the socket is paused, so TCP (or HTTP/2) slows the client down instead of the drop policy losing
 * audio. Reading resumes once the backlog is down to a quarter. What waits here is bounded by what
 * the socket had already read when it was paused.
 *
 * Decode pacing (vosk-server's contract): a frame pushed with `onDecoded` gets that callback, in
 * order, once the recognizer has decoded it, so a client that waits for each reply is held to
 * decoding speed and never overruns the queue.
 */
export class PacedFeeder {
  private readonly pending: Waiting[] = [];
  /** Frames handed to the call whose onDecoded is due: where each ends in the fed audio, ms. */
  private readonly decoding: Array<{ endMs: number; onDecoded: () => void }> = [];
  private fedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopWhenDrained = false;
  private disposed = false;

  constructor(
    private readonly session: CallSession,
    private readonly options: PacedFeederOptions,
    private readonly source: PausableSource,
    private readonly handlers: { onError: (err: unknown) => void; onDrainedStop: () => void },
  ) {}

  push(audio: Buffer, onDecoded?: () => void, onFed?: () => void): void {
    this.pending.push({ audio, onDecoded, onFed });
    this.drain();
  }

  /** The client ended its audio: end the call once the audio waiting here has been handed over and replied to. */
  stop(): void {
    this.stopWhenDrained = true;
    this.drain();
  }

  /** Nothing waits here or for its decode-paced reply. */
  get idle(): boolean {
    return this.pending.length === 0 && this.decoding.length === 0;
  }

  /** The client went away: hand everything over now (the drop policy applies) and stop polling. */
  flush(): void {
    this.stopTimer();
    try {
      while (this.pending.length > 0) this.session.pushAudio(this.pending.shift()!.audio);
    } catch {
      // The call is being torn down; a bad frame here has nobody left to tell.
    }
    this.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.pending.length = 0;
    this.decoding.length = 0;
    this.stopTimer();
  }

  private drain(): void {
    if (this.disposed) return;
    try {
      while (this.pending.length > 0 && this.session.asrBacklogMs < this.options.maxQueueMs / 2) this.feed(this.pending.shift()!);
    } catch (err) {
      this.dispose();
      this.handlers.onError(err);
      return;
    }
    this.replyDecoded();
    if (this.disposed) return; // a reply callback ended it
    if (this.pending.length > 0) {
      if (!this.paused) {
        this.paused = true;
        this.source.pause();
      }
    } else if (this.paused && this.session.asrBacklogMs <= this.options.maxQueueMs / 4) {
      this.paused = false;
      this.source.resume();
    }
    if (this.idle && this.stopWhenDrained) {
      this.dispose();
      this.handlers.onDrainedStop();
      return;
    }
    this.schedule();
  }

  private feed(frame: Waiting): void {
    if (frame.audio.length > 0) this.session.pushAudio(frame.audio);
    frame.onFed?.();
    if (!frame.onDecoded) return;
    this.fedMs += frame.audio.length / (this.options.pacing?.bytesPerMs ?? Infinity);
    this.decoding.push({ endMs: this.fedMs, onDecoded: frame.onDecoded });
  }

  /** Calls onDecoded of every frame, oldest first, whose audio the recognizer has decoded. */
  private replyDecoded(): void {
    const chunkMs = this.options.pacing?.chunkMs ?? 0;
    const backlogMs = this.session.asrBacklogMs;
    while (this.decoding.length > 0 && !this.disposed) {
      const next = this.decoding[0]!;
      // Undecoded audio up to this frame's end: the backlog minus what was fed after it.
      const undecodedMs = backlogMs - (this.fedMs - next.endMs);
      if (undecodedMs >= chunkMs) return;
      this.decoding.shift();
      next.onDecoded();
    }
  }

  private schedule(): void {
    const pollMs = this.decoding.length > 0 ? REPLY_POLL_MS : this.pending.length > 0 || this.paused ? POLL_MS : 0;
    if (pollMs === 0) return this.stopTimer();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, pollMs);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.paused) {
      this.paused = false;
      this.source.resume();
    }
  }
}
