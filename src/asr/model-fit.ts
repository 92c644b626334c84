import type { ModelInfo } from './model-info.js';

/** Analysis frame, ms. */
const FRAME_MS = 20;
/** Frames quieter than this RMS (int16 units, about -40 dBFS) are silence and not judged. */
const MIN_RMS = 330;
/** A sounding frame is a tone when this share of its energy is at one of the model's tone frequencies. */
const TONAL_SHARE = 0.5;
/** Judge after this many sounding frames (2 s of sound). */
const JUDGE_AFTER_FRAMES = 100;
/** Warn when fewer than this share of the sounding frames are tones. */
const MIN_TONAL_FRAMES = 0.5;

export interface ModelFitWarning {
  code: 'model_fit';
  message: string;
  details: { model: string; soundingMs: number; tonalShare: number };
}

/**
 * Does the audio of one party suit the model? For a tone test model (voc-model.json with tonesHz):
 * once 2 s of sound have been heard, if most sounding 20 ms frames are not one of the model's tones
 * (speech, music), the transcript is meaningless and a warning is returned, once. Pure: push PCM,
 * read the verdict. Models without a self-description (every real model) are never judged.
 */
export class ModelFitCheck {
  private readonly frame: Int16Array;
  private filled = 0;
  private sounding = 0;
  private tonal = 0;
  private done = false;
  private readonly coefficients: Float64Array;

  private constructor(
    private readonly info: ModelInfo & { tonesHz: number[] },
    sampleRate: number,
  ) {
    this.frame = new Int16Array(Math.round((sampleRate * FRAME_MS) / 1000));
    // Goertzel coefficients of the tones the rate can carry.
    this.coefficients = Float64Array.from(info.tonesHz.filter((hz) => hz < sampleRate / 2).map((hz) => 2 * Math.cos((2 * Math.PI * hz) / sampleRate)));
  }

  /** A check for this model at this rate, or undefined when the model gives nothing to check against. */
  static forModel(info: ModelInfo | undefined, sampleRate: number): ModelFitCheck | undefined {
    if (!info || info.kind !== 'test' || !info.tonesHz || info.tonesHz.length === 0) return undefined;
    return new ModelFitCheck({ ...info, tonesHz: info.tonesHz }, sampleRate);
  }

  /** Feeds audio; returns the warning the first time the verdict is "does not fit", else undefined. */
  push(samples: Int16Array): ModelFitWarning | undefined {
    if (this.done) return undefined;
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(samples.length - at, this.frame.length - this.filled);
      this.frame.set(samples.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < this.frame.length) break;
      this.filled = 0;
      this.judgeFrame();
      if (this.sounding >= JUDGE_AFTER_FRAMES) return this.verdict();
    }
    return undefined;
  }

  private judgeFrame(): void {
    const x = this.frame;
    const n = x.length;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += x[i]! * x[i]!;
    if (Math.sqrt(energy / n) < MIN_RMS) return;
    this.sounding++;
    let best = 0;
    for (const coeff of this.coefficients) {
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = x[i]! + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      best = Math.max(best, s1 * s1 + s2 * s2 - coeff * s1 * s2);
    }
    // A sinusoid of the frame's energy at that frequency has power (n/2)·energy.
    if ((2 * best) / (n * energy) >= TONAL_SHARE) this.tonal++;
  }

  private verdict(): ModelFitWarning | undefined {
    this.done = true;
    const tonalShare = this.tonal / this.sounding;
    if (tonalShare >= MIN_TONAL_FRAMES) return undefined;
    return {
      code: 'model_fit',
      message:
        `the model is a test model (${this.info.description || 'tone words'}): it only decodes its tones, and this audio is not tones ` +
        `(${Math.round(tonalShare * 100)}% of ${this.sounding * FRAME_MS} ms of sound), so transcripts and text alerts of this call are meaningless; ` +
        'install a real model (voc model download)',
      details: { model: this.info.description, soundingMs: this.sounding * FRAME_MS, tonalShare: Math.round(tonalShare * 1000) / 1000 },
    };
  }
}
