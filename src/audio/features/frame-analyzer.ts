/**
 * Per-party frame features on PCM16: level (dBFS), energy activity, and F0 and spectral tilt on
 * voiced frames.
 * Frames lie on a fixed grid of the call's timeline (frame k covers samples [k*hop, (k+1)*hop)),
 * so frames of different parties line up. Pitch runs only on frames that pass the energy gate.
 * Working buffers are allocated once per analyzer; push() allocates only the batch it returns.
 */
import { rmsDbfs } from './loudness.js';
import { Decimator } from './decimator.js';
import { YinPitchEstimator, type PitchResult } from './pitch.js';
import { hannWeights, spectralSpread } from './spread.js';
import { tiltDb } from './tilt.js';
import { EnergyVad } from './vad.js';

export interface FrameAnalyzerOptions {
  /** Hz of the PCM (8000 or 16000 typically). */
  sampleRate: number;
  /** Frame hop, ms (10-20). */
  frameMs: number;
  /** Samples analysed for pitch end at the frame's end and span this many ms (covers >= 2 periods). */
  pitchWindowMs: number;
  minF0Hz: number;
  maxF0Hz: number;
  /** YIN dip threshold used to choose the period. */
  yinThreshold: number;
  /** A frame is voiced when its YIN aperiodicity is below this (and it is active and F0 is in range). */
  voicingThreshold: number;
  /** A periodic frame whose spectral spread (spread.ts) is below this is a pure tone, not a voice: unvoiced. */
  pureToneMaxSpread: number;
  vadMarginDb: number;
  vadMinDbfs: number;
  vadFloorRiseDbPerSec: number;
  vadFloorFallMs: number;
  vadFloorWindowMs: number;
}

/** Features of consecutive frames of one party, as produced by one push(). */
export interface FrameBatch {
  party: string;
  sampleRate: number;
  /** Samples per frame (the hop). */
  hopSamples: number;
  /** Grid index of the first frame; frame i of the batch is grid frame firstFrame + i. */
  firstFrame: number;
  count: number;
  /** Frame level, dBFS. */
  levelDb: Float32Array;
  /** 1 when the energy gate found the frame active (above the noise floor by the margin). */
  active: Uint8Array;
  /** F0 in Hz on voiced frames, 0 on the others. */
  f0Hz: Float32Array;
  /** Spectral tilt (tilt.ts) of the frame at ~8 kHz, dB, on voiced frames; 0 on the others. */
  tiltDb: Float32Array;
}

/** Start of grid frame `frame`, ms from call start. */
export function frameStartMs(frame: number, hopSamples: number, sampleRate: number): number {
  return (frame * hopSamples * 1000) / sampleRate;
}

export class FrameAnalyzer {
  readonly hopSamples: number;
  /** Samples kept: the pitch window at the call's rate (plus the decimator's look-behind). */
  private readonly windowLength: number;
  /** The last windowLength samples; the frame being filled occupies the tail. */
  private readonly history: Float32Array;
  /** Above ~8 kHz, pitch runs on a decimated copy of the window (null at 8 kHz and below). */
  private readonly decimator: Decimator | null;
  private readonly pitchWindow: Float32Array;
  private readonly yin: YinPitchEstimator;
  private readonly vad: EnergyVad;
  /** Grid index of the frame being filled; -1 before the first sample. */
  private frame = -1;
  private fill = 0;
  private outLevel: Float32Array;
  private outActive: Uint8Array;
  private outF0: Float32Array;
  private outTilt: Float32Array;
  /** Samples of one frame at the pitch rate (the newest part of the pitch window). */
  private readonly tiltLength: number;
  /** Hann taper over the pitch window (less the two samples the differences look back). */
  private readonly spreadWeights: Float32Array;

  constructor(
    readonly party: string,
    private readonly options: FrameAnalyzerOptions,
  ) {
    const { sampleRate, frameMs } = options;
    this.hopSamples = Math.round((sampleRate * frameMs) / 1000);
    if (this.hopSamples < 1) throw new RangeError(`frame of ${frameMs} ms is empty at ${sampleRate} Hz`);
    const factor = Math.floor(sampleRate / 8000);
    this.decimator = factor >= 2 ? new Decimator(factor) : null;
    const pitchRate = sampleRate / factor;
    const pitchLength = Math.round((pitchRate * options.pitchWindowMs) / 1000);
    const fullLength = this.decimator === null ? pitchLength : this.decimator.lookBehind + (pitchLength - 1) * factor + 1;
    this.windowLength = Math.max(this.hopSamples, fullLength);
    this.history = new Float32Array(this.windowLength);
    this.pitchWindow = new Float32Array(pitchLength);
    this.yin = new YinPitchEstimator({
      sampleRate: pitchRate,
      minF0Hz: options.minF0Hz,
      maxF0Hz: options.maxF0Hz,
      windowLength: pitchLength,
      threshold: options.yinThreshold,
    });
    this.vad = new EnergyVad({
      frameMs,
      marginDb: options.vadMarginDb,
      minDbfs: options.vadMinDbfs,
      floorRiseDbPerSec: options.vadFloorRiseDbPerSec,
      floorFallMs: options.vadFloorFallMs,
      floorWindowMs: options.vadFloorWindowMs,
    });
    this.outLevel = new Float32Array(64);
    this.outActive = new Uint8Array(64);
    this.outF0 = new Float32Array(64);
    this.outTilt = new Float32Array(64);
    this.tiltLength = Math.max(1, Math.min(pitchLength - 1, Math.round(this.hopSamples / factor)));
    this.spreadWeights = hannWeights(Math.max(1, pitchLength - 2));
  }

  get sampleRate(): number {
    return this.options.sampleRate;
  }

  /** Grid index of the next frame that will be emitted (-1 before any audio). */
  get nextFrame(): number {
    return this.frame;
  }

  /**
   * Add PCM placed at `startSample` on the call timeline. Samples before the current position are
   * dropped (overlap). A gap inside the current frame is filled with zeros; a gap past it drops the
   * partial frame (at most one hop of audio), and frames inside the gap are not emitted: consumers
   * treat missing grid frames as silence. Returns the consecutive frames completed by this chunk,
   * or null when none was.
   */
  push(samples: Int16Array, startSample: number): FrameBatch | null {
    const hop = this.hopSamples;
    const tail = this.windowLength - hop;
    let src = 0;
    if (this.frame < 0) this.restartAt(startSample);
    const position = this.frame * hop + this.fill;
    if (startSample < position) {
      src = Math.min(samples.length, position - startSample);
    } else if (startSample > position) {
      if (Math.floor(startSample / hop) === this.frame) {
        const fill = startSample - this.frame * hop;
        this.history.fill(0, tail + this.fill, tail + fill);
        this.fill = fill;
      } else {
        this.restartAt(startSample);
      }
    }
    let produced = 0;
    const firstFrame = this.frame;
    while (src < samples.length) {
      const take = Math.min(hop - this.fill, samples.length - src);
      const base = tail + this.fill;
      for (let i = 0; i < take; i++) this.history[base + i] = samples[src + i]!;
      src += take;
      this.fill += take;
      if (this.fill === hop) this.completeFrame(produced++);
    }
    return produced > 0 ? this.batch(firstFrame, produced) : null;
  }

  /** Start a fresh frame sequence at `startSample` (first audio, or after a gap). */
  private restartAt(startSample: number): void {
    this.frame = Math.floor(startSample / this.hopSamples);
    this.fill = startSample - this.frame * this.hopSamples;
    // The noise floor carries over a gap: the line is the same.
    this.history.fill(0);
  }

  /** Analyse the completed frame at the tail of the history, record it as output #slot, advance. */
  private completeFrame(slot: number): void {
    const hop = this.hopSamples;
    const tail = this.windowLength - hop;
    const level = rmsDbfs(this.history, tail, hop);
    const active = this.vad.update(level);
    let f0 = 0;
    let tilt = 0;
    if (active) {
      let pitch: PitchResult;
      let window: Float32Array;
      let end: number;
      if (this.decimator === null) {
        window = this.history;
        end = this.windowLength;
        pitch = this.yin.estimate(this.history, this.windowLength - this.pitchWindow.length);
      } else {
        const count = this.pitchWindow.length;
        const needed = this.decimator.lookBehind + (count - 1) * this.decimator.factor + 1;
        this.decimator.run(this.history, this.windowLength - needed, this.pitchWindow, count);
        window = this.pitchWindow;
        end = count;
        pitch = this.yin.estimate(this.pitchWindow, 0);
      }
      // A beep or test tone is as periodic as a vowel; its single spectral line gives it away.
      if (
        pitch.f0Hz > 0 &&
        pitch.aperiodicity < this.options.voicingThreshold &&
        spectralSpread(window, end, this.spreadWeights) >= this.options.pureToneMaxSpread
      ) {
        f0 = pitch.f0Hz;
        tilt = tiltDb(window, end - this.tiltLength, this.tiltLength);
      }
    }
    this.ensureCapacity(slot + 1);
    this.outLevel[slot] = level;
    this.outActive[slot] = active ? 1 : 0;
    this.outF0[slot] = f0;
    this.outTilt[slot] = tilt;
    this.history.copyWithin(0, hop);
    this.frame++;
    this.fill = 0;
  }

  private ensureCapacity(n: number): void {
    if (n <= this.outLevel.length) return;
    const size = Math.max(n, this.outLevel.length * 2);
    const level = new Float32Array(size);
    level.set(this.outLevel);
    const active = new Uint8Array(size);
    active.set(this.outActive);
    const f0 = new Float32Array(size);
    f0.set(this.outF0);
    const tilt = new Float32Array(size);
    tilt.set(this.outTilt);
    this.outLevel = level;
    this.outActive = active;
    this.outF0 = f0;
    this.outTilt = tilt;
  }

  private batch(firstFrame: number, count: number): FrameBatch {
    return {
      party: this.party,
      sampleRate: this.options.sampleRate,
      hopSamples: this.hopSamples,
      firstFrame,
      count,
      levelDb: this.outLevel.slice(0, count),
      active: this.outActive.slice(0, count),
      f0Hz: this.outF0.slice(0, count),
      tiltDb: this.outTilt.slice(0, count),
    };
  }
}
