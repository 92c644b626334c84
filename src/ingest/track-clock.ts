import { bytesPerSample, msToSamples, samplesToMs, type AudioEncoding } from '../audio/format.js';
import { CallInputError } from '../session/errors.js';

/** How to close a gap on a track: silence to decode, then time to skip without audio. Samples. */
export interface TrackGap {
  fill: number;
  skip: number;
}

/**
 * Keeps one party track on the sender's clock. CallSession only appends audio, so a track that
 * lost packets (Twilio media `timestamp` jumps ahead) or whose audio the sender discarded (AudioHook
 * `discarded`, `resumed`) would drift earlier than the other party. Before appending, the adapter
 * asks how to reach the sender's stated position.
 *
 * Gaps up to `maxGapFillMs` are filled with silence (decoded like audio, so an utterance cut by lost
 * packets still ends naturally); the rest of a longer gap (a hold) is skipped on the call's timeline
 * (CallSession.skipAudio) rather than fed to the recognizer as minutes of silence.
 */
export class TrackClock {
  /** Samples appended or skipped so far. */
  private position = 0;
  /** Milliseconds of sender time skipped (longer gaps beyond the fill). */
  unfilledMs = 0;
  /** Milliseconds of silence inserted. */
  filledMs = 0;

  constructor(
    readonly sampleRate: number,
    /** Gaps at most this long (ms) are not worth filling: jitter, rounding. */
    private readonly toleranceMs: number,
    private readonly maxGapFillMs: number,
    /** A jump longer than this (limits.maxGapMs) is not a hold but a broken or hostile clock: the call ends. */
    private readonly maxGapMs: number,
  ) {}

  get positionMs(): number {
    return samplesToMs(this.position, this.sampleRate);
  }

  /** How to make the next audio start at `atMs` of the sender's clock; advances past the gap. */
  gapBefore(atMs: number): TrackGap {
    const gapMs = atMs - this.positionMs;
    if (!Number.isFinite(gapMs) || gapMs <= this.toleranceMs) return { fill: 0, skip: 0 };
    if (gapMs > this.maxGapMs)
      throw new CallInputError('bad_message', `the sender's clock jumps ${Math.round(gapMs)} ms ahead, more than limits.maxGapMs (${this.maxGapMs})`);
    const fillMs = Math.min(gapMs, this.maxGapFillMs);
    const fill = msToSamples(fillMs, this.sampleRate);
    const skip = msToSamples(gapMs, this.sampleRate) - fill;
    this.filledMs += fillMs;
    this.unfilledMs += gapMs - fillMs;
    this.position += fill + skip;
    return { fill, skip };
  }

  /** Record audio samples appended to the track. */
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
