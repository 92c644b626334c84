import { bytesPerSample, msToSamples, samplesToMs, type AudioEncoding } from '../audio/format.js';

/**
 * Keeps one party track on the sender's clock. CallSession only appends audio, so a track that
 * lost packets (Twilio media `timestamp` jumps ahead) or whose audio the sender discarded (AudioHook
 * `discarded`, `resumed`) would drift earlier than the other party. Before appending, the adapter
 * asks how much silence makes the track reach the sender's stated position.
 *
 * Gaps up to `maxGapFillMs` are filled; beyond that only `maxGapFillMs` of silence is inserted and
 * the rest is reported as unfilled: a long hold fed to the recognizer as silence would only fill its
 * queue (and be dropped and reported as lost audio) for no benefit.
 */
export class TrackClock {
  /** Samples appended so far (audio and inserted silence). */
  private position = 0;
  /** Milliseconds of sender time that were not filled because they exceeded the cap (skipped on this track's clock). */
  unfilledMs = 0;
  /** Milliseconds of silence inserted. */
  filledMs = 0;

  constructor(
    readonly sampleRate: number,
    /** Gaps at most this long (ms) are not worth filling: jitter, rounding. */
    private readonly toleranceMs: number,
    private readonly maxGapFillMs: number,
  ) {}

  get positionMs(): number {
    return samplesToMs(this.position, this.sampleRate);
  }

  /** Samples of silence to insert so the next audio starts at `atMs` of the sender's clock (0 = none). */
  gapBefore(atMs: number): number {
    // The unfilled rest of earlier capped gaps is skipped, not owed: later audio must not fill it again.
    const gapMs = atMs - this.unfilledMs - this.positionMs;
    if (!Number.isFinite(gapMs) || gapMs <= this.toleranceMs) return 0;
    const fillMs = Math.min(gapMs, this.maxGapFillMs);
    this.unfilledMs += gapMs - fillMs;
    this.filledMs += fillMs;
    return msToSamples(fillMs, this.sampleRate);
  }

  /** Record samples appended to the track (audio or silence). */
  advance(samples: number): void {
    this.position += samples;
  }
}

/** Wire bytes of silence: mu-law and A-law have a non-zero code for 0; PCM16 is zeros. */
export function silenceBytes(encoding: AudioEncoding, samples: number, channels = 1): Buffer {
  const size = samples * channels * bytesPerSample(encoding);
  if (encoding === 'mulaw') return Buffer.alloc(size, 0xff);
  if (encoding === 'alaw') return Buffer.alloc(size, 0xd5);
  return Buffer.alloc(size);
}
