/**
 * A speaker's baseline voice: an upper quantile (default the 75th percentile) of loudness (dBFS),
 * pitch (semitones re 100 Hz) and spectral tilt (dB) over the speaker's last calm utterances: the
 * livelier end of their calm voice, so an ordinary lively sentence is not "raised". Each utterance
 * enters as its own medians, so a long utterance weighs as much as a short one, and the baseline
 * follows the speaker (and the line's gain) utterance by utterance. An entry that stands out from the others as raised is dropped
 * (`prune`): an angry opening that entered before any calm speech was heard does not stay the
 * baseline once calm utterances arrive.
 */

/** F0 in Hz to semitones relative to 100 Hz. */
export function hzToSemitones(f0Hz: number): number {
  return 12 * Math.log2(f0Hz / 100);
}

export function semitonesToHz(semitones: number): number {
  return 100 * 2 ** (semitones / 12);
}

/** Median of values[0..n) using `scratch` (length >= n) as working space; no allocation. */
export function medianOf(values: Float32Array, n: number, scratch: Float32Array): number {
  if (n === 0) return Number.NaN;
  for (let i = 0; i < n; i++) scratch[i] = values[i]!;
  const view = scratch.subarray(0, n);
  view.sort();
  return n % 2 === 1 ? view[(n - 1) >> 1]! : (view[n / 2 - 1]! + view[n / 2]!) / 2;
}

/** The q-quantile (0..1, nearest rank) of values[0..n) using `scratch` as working space; no allocation. */
export function quantileOf(values: Float32Array, n: number, q: number, scratch: Float32Array): number {
  if (n === 0) return Number.NaN;
  for (let i = 0; i < n; i++) scratch[i] = values[i]!;
  const view = scratch.subarray(0, n);
  view.sort();
  return view[Math.min(n - 1, Math.round((n - 1) * q))]!;
}

/** One voice measurement: loudness dBFS, pitch semitones, tilt dB. */
export interface VoicePoint {
  loudnessDb: number;
  pitchSemitones: number;
  tiltDb: number;
}

export interface UtteranceBaselineOptions {
  /** Utterances kept (the oldest is dropped). */
  capacity: number;
  /** Voiced ms the kept utterances need in total before the baseline is ready. */
  learnMs: number;
  /** Quantile of the kept utterances' values taken as the baseline (0.5 = median). */
  quantile: number;
}

export class UtteranceBaseline {
  private readonly loud: Float32Array;
  private readonly pitch: Float32Array;
  private readonly tilt: Float32Array;
  private readonly voicedMs: Float64Array;
  private readonly scratch: Float32Array;
  private count = 0;
  private totalMs = 0;
  private readonly current: VoicePoint = { loudnessDb: Number.NaN, pitchSemitones: Number.NaN, tiltDb: Number.NaN };

  constructor(private readonly options: UtteranceBaselineOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('baseline capacity must be >= 1');
    this.loud = new Float32Array(options.capacity);
    this.pitch = new Float32Array(options.capacity);
    this.tilt = new Float32Array(options.capacity);
    this.voicedMs = new Float64Array(options.capacity);
    this.scratch = new Float32Array(options.capacity);
  }

  get ready(): boolean {
    return this.totalMs >= this.options.learnMs;
  }

  /** Utterances in the baseline. */
  get utterances(): number {
    return this.count;
  }

  /** The baseline (NaN fields while empty); the object is reused, copy what you keep. */
  get point(): Readonly<VoicePoint> {
    return this.current;
  }

  /** Add a calm utterance's medians and its voiced duration. */
  add(point: VoicePoint, voicedMs: number): void {
    if (this.count === this.options.capacity) this.removeAt(0);
    const i = this.count++;
    this.loud[i] = point.loudnessDb;
    this.pitch[i] = point.pitchSemitones;
    this.tilt[i] = point.tiltDb;
    this.voicedMs[i] = voicedMs;
    this.totalMs += voicedMs;
    this.update();
  }

  /**
   * With at least `minEntries` utterances, drop those that `isRaised` judges raised against the
   * baseline of all of them (e.g. an angry opening among calm utterances).
   */
  prune(isRaised: (entry: VoicePoint, baseline: Readonly<VoicePoint>) => boolean, minEntries = 3): void {
    if (this.count < minEntries) return;
    const entry: VoicePoint = { loudnessDb: 0, pitchSemitones: 0, tiltDb: 0 };
    for (let i = this.count - 1; i >= 0; i--) {
      entry.loudnessDb = this.loud[i]!;
      entry.pitchSemitones = this.pitch[i]!;
      entry.tiltDb = this.tilt[i]!;
      if (isRaised(entry, this.current)) this.removeAt(i);
    }
    this.update();
  }

  private removeAt(index: number): void {
    this.totalMs -= this.voicedMs[index]!;
    this.loud.copyWithin(index, index + 1, this.count);
    this.pitch.copyWithin(index, index + 1, this.count);
    this.tilt.copyWithin(index, index + 1, this.count);
    this.voicedMs.copyWithin(index, index + 1, this.count);
    this.count--;
  }

  private update(): void {
    const { quantile } = this.options;
    this.current.loudnessDb = quantileOf(this.loud, this.count, quantile, this.scratch);
    this.current.pitchSemitones = quantileOf(this.pitch, this.count, quantile, this.scratch);
    this.current.tiltDb = quantileOf(this.tilt, this.count, quantile, this.scratch);
  }
}
