/**
 * A speaker's own baseline of loudness (dBFS) and pitch (semitones re 100 Hz) over voiced frames.
 * Learned as the medians of the first voiced frames, then moved toward the running median by
 * fixed steps (a stochastic median tracker): an outlier moves it by one step at most, so loud
 * words barely shift it, while a slow change of the speaker's voice or line is followed.
 */

export interface BaselineOptions {
  /** Voiced frames used to learn the baseline. */
  learnFrames: number;
  /** Largest change per voiced frame after learning, dB. */
  loudnessStepDb: number;
  /** Largest change per voiced frame after learning, semitones. */
  pitchStepSemitones: number;
}

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

export class SpeakerBaseline {
  private readonly learnLoudness: Float32Array;
  private readonly learnPitch: Float32Array;
  private learned = 0;
  private loudness = Number.NaN;
  private pitch = Number.NaN;

  constructor(private readonly options: BaselineOptions) {
    if (!(options.learnFrames >= 1)) throw new RangeError('learnFrames must be >= 1');
    this.learnLoudness = new Float32Array(options.learnFrames);
    this.learnPitch = new Float32Array(options.learnFrames);
  }

  get ready(): boolean {
    return this.learned >= this.options.learnFrames;
  }

  /** Baseline loudness, dBFS (NaN until ready). */
  get loudnessDb(): number {
    return this.loudness;
  }

  /** Baseline pitch, semitones re 100 Hz (NaN until ready). */
  get pitchSemitones(): number {
    return this.pitch;
  }

  /** Feed a voiced frame while learning; returns true when this frame completed the learning. */
  learn(loudnessDb: number, pitchSemitones: number): boolean {
    if (this.ready) return false;
    this.learnLoudness[this.learned] = loudnessDb;
    this.learnPitch[this.learned] = pitchSemitones;
    this.learned++;
    if (!this.ready) return false;
    // The learning buffers are not needed afterwards, so they sort themselves in place.
    this.loudness = medianOf(this.learnLoudness, this.learned, this.learnLoudness);
    this.pitch = medianOf(this.learnPitch, this.learned, this.learnPitch);
    return true;
  }

  /** Move the learned baseline one step toward a calm voiced frame. */
  adapt(loudnessDb: number, pitchSemitones: number): void {
    if (!this.ready) return;
    const { loudnessStepDb, pitchStepSemitones } = this.options;
    this.loudness += Math.sign(loudnessDb - this.loudness) * loudnessStepDb;
    this.pitch += Math.sign(pitchSemitones - this.pitch) * pitchStepSemitones;
  }
}
