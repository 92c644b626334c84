/**
 * Streaming sample-rate conversion by a rational ratio L/M (reduced with gcd): a polyphase FIR whose
 * prototype is a Kaiser-windowed sinc low-pass at the lower of the two Nyquist rates, so it both
 * removes images (upsampling) and prevents aliasing (downsampling).
 *
 * Doubling the rate ('telephony', e.g. 8 -> 16 kHz, the engine's hot path) uses a half-band design
 * instead: transition band centred on the lower Nyquist (flat to 90 %, >= 70 dB from 110 %), so every
 * other output is an input sample unchanged and the rest need half as many taps, folded in pairs:
 * about 40 % of the general filter's time. Images do not fold back into the band when upsampling,
 * so the only price is a partial image of 3.6-4 kHz content at 4-4.4 kHz, where telephony audio
 * (band-limited to 3.4 kHz) has next to nothing.
 *
 * Output is aligned with input: the filter's linear-phase delay is compensated by looking ahead, so
 * output sample m sits at input time m*M/L exactly. The price is that the last `delayMs` of audio is
 * held back until more input arrives or flush() is called. Chunking never changes the output:
 * every output sample depends only on absolute positions, so any split of the input gives the same
 * bits as one call.
 */

export type ResamplerQuality = 'telephony' | 'high';

export interface ResamplerOptions {
  /** 'telephony' (default): flat to 85% of the lower Nyquist, >= 70 dB stop band. 'high': flat to 91%, >= 96 dB. */
  quality?: ResamplerQuality;
}

interface QualitySpec {
  /** Passband edge as a fraction of the lower Nyquist frequency. */
  passband: number;
  /** Stop-band edge as a fraction of the lower Nyquist frequency. */
  stopband: number;
  attenuationDb: number;
}

// Stop band starts at the lower Nyquist so nothing folds back into the band (the telephony band
// 300-3400 Hz stays clean at 8 kHz).
const QUALITY: Record<ResamplerQuality, QualitySpec> = {
  telephony: { passband: 0.85, stopband: 1.0, attenuationDb: 70 },
  high: { passband: 0.91, stopband: 1.0, attenuationDb: 96 },
};

/** 'telephony' when doubling the rate: a half-band filter (edges symmetric about the lower Nyquist). */
const TELEPHONY_HALF_BAND: QualitySpec = { passband: 0.9, stopband: 1.1, attenuationDb: 70 };

/** Limits that keep a strange rate pair from building a huge table (e.g. 8000 -> 7999 needs 7999 phases). */
export const RESAMPLER_LIMITS = {
  maxRate: 384_000,
  maxPhases: 2048,
  maxCoefficients: 1 << 21,
} as const;

/** Immutable filter bank, shared by every Resampler with the same rates and quality. */
interface FilterBank {
  /** Upsampling factor (number of phases). */
  up: number;
  /** Downsampling factor. */
  down: number;
  tapsPerPhase: number;
  /** Prototype delay in samples at the rate inputRate*up (integer: the filter is symmetric around it). */
  delay: number;
  /** Phase p occupies [p*tapsPerPhase, (p+1)*tapsPerPhase), taps reversed to run forward over the input. */
  coefficients: Float32Array;
  /** Per phase: the tap whose input sample is the output unchanged (a half-band's centre phase), or -1. */
  passThrough: Int32Array;
  /** Per phase: 1 when its taps read the same backwards, so each pair of samples shares one multiply. */
  symmetric: Uint8Array;
}

const BANK_CACHE_LIMIT = 32;
const bankCache = new Map<string, FilterBank>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for beta < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

function designBank(inputRate: number, outputRate: number, quality: ResamplerQuality): FilterBank {
  const g = gcd(inputRate, outputRate);
  const up = outputRate / g;
  const down = inputRate / g;
  if (up > RESAMPLER_LIMITS.maxPhases)
    throw new RangeError(`resampling ${inputRate} -> ${outputRate} Hz needs ${up} filter phases (limit ${RESAMPLER_LIMITS.maxPhases})`);
  const halfBand = quality === 'telephony' && up === 2 && down === 1;
  const spec = halfBand ? TELEPHONY_HALF_BAND : QUALITY[quality];
  const highRate = inputRate * up;
  const nyquist = Math.min(inputRate, outputRate) / 2;
  // Cutoff (-6 dB) mid-way through the transition band; frequencies normalized to the high rate.
  const cutoff = (((spec.passband + spec.stopband) / 2) * nyquist) / highRate;
  const transition = ((spec.stopband - spec.passband) * nyquist) / highRate;
  const length = Math.ceil((spec.attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition)) + 1;
  // Symmetric around an integer centre so the delay is a whole number of high-rate samples. A half-band's
  // delay is odd: its centre then sits in phase 1 and phase 0 has exactly tapsPerPhase taps, all used.
  let delay: number;
  let tapsPerPhase: number;
  if (halfBand) {
    delay = Math.ceil((length - 1) / 2) | 1;
    tapsPerPhase = delay + 1;
  } else {
    tapsPerPhase = Math.ceil(length / up);
    delay = Math.floor((tapsPerPhase * up - 1) / 2);
  }
  const total = tapsPerPhase * up;
  if (total > RESAMPLER_LIMITS.maxCoefficients)
    throw new RangeError(`resampling ${inputRate} -> ${outputRate} Hz needs ${total} filter taps (limit ${RESAMPLER_LIMITS.maxCoefficients})`);
  const beta = kaiserBeta(spec.attenuationDb);
  const i0Beta = besselI0(beta);
  const prototype = new Float64Array(total);
  for (let n = 0; n <= delay; n++) {
    const t = n - delay;
    const x = 2 * cutoff * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = delay === 0 ? 0 : t / delay;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    // Computed once per pair, so the two halves are bit-for-bit mirrors (folding relies on it).
    prototype[n] = prototype[2 * delay - n] = 2 * cutoff * sinc * window;
  }
  if (halfBand) {
    // sinc(t/2) vanishes at every even t but 0: the centre phase passes samples through, exactly.
    for (let n = delay % 2; n <= 2 * delay; n += 2) prototype[n] = n === delay ? 1 : 0;
  }
  // Zero-stuffing by `up` divides the level by `up`; a prototype summing to `up` gives unity DC gain.
  // A half-band's phases are each brought to unity gain, so the pass-through phase stays exact.
  const sum = prototype.reduce((a, h) => a + h, 0);
  const coefficients = new Float32Array(total);
  const passThrough = new Int32Array(up).fill(-1);
  const symmetric = new Uint8Array(up);
  for (let p = 0; p < up; p++) {
    let phaseSum = 0;
    for (let j = 0; j < tapsPerPhase; j++) phaseSum += prototype[p + j * up]!;
    const gain = halfBand ? 1 / phaseSum : up / sum;
    const taps = coefficients.subarray(p * tapsPerPhase, (p + 1) * tapsPerPhase);
    for (let j = 0; j < tapsPerPhase; j++) taps[tapsPerPhase - 1 - j] = prototype[p + j * up]! * gain;
    passThrough[p] = passThroughTap(taps);
    symmetric[p] = taps.every((c, k) => c === taps[tapsPerPhase - 1 - k]) ? 1 : 0;
  }
  return { up, down, tapsPerPhase, delay, coefficients, passThrough, symmetric };
}

/** The index of the only nonzero tap when it is exactly 1 (the phase copies one input sample), else -1. */
function passThroughTap(taps: Float32Array): number {
  let found = -1;
  for (let k = 0; k < taps.length; k++) {
    if (taps[k] === 0) continue;
    if (taps[k] !== 1 || found >= 0) return -1;
    found = k;
  }
  return found;
}

function filterBank(inputRate: number, outputRate: number, quality: ResamplerQuality): FilterBank {
  const key = `${inputRate}:${outputRate}:${quality}`;
  let bank = bankCache.get(key);
  if (!bank) {
    bank = designBank(inputRate, outputRate, quality);
    if (bankCache.size >= BANK_CACHE_LIMIT) bankCache.delete(bankCache.keys().next().value!);
    bankCache.set(key, bank);
  }
  return bank;
}

function assertRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > RESAMPLER_LIMITS.maxRate)
    throw new RangeError(`${name} must be an integer from 1 to ${RESAMPLER_LIMITS.maxRate} Hz (got ${rate})`);
}

const EMPTY = new Int16Array(0);

/** Audio a Resampler from `inputRate` to `outputRate` holds back until more input comes (its delayMs), ms. */
export function resamplerHoldMs(inputRate: number, outputRate: number, quality: ResamplerQuality = 'telephony'): number {
  if (inputRate === outputRate) return 0;
  const bank = filterBank(inputRate, outputRate, quality);
  return (bank.delay * 1000) / (inputRate * bank.up);
}

export class Resampler {
  /**
   * Filter group delay that is compensated, in ms: this much audio is held back until more input
   * arrives or flush(). 0 when the rates are equal.
   */
  readonly delayMs: number;
  private readonly bank: FilterBank | undefined;
  /** Input history as floats; history[0] is absolute input index `historyStart`. */
  private history: Float32Array;
  private historyStart = 0;
  private historyLength = 0;
  private inputCount = 0;
  private outputCount = 0;
  /** Input index and phase of the next output sample: (outputCount*down + delay) = index*up + phase. */
  private nextIndex = 0;
  private nextPhase = 0;

  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
    options: ResamplerOptions = {},
  ) {
    assertRate('inputRate', inputRate);
    assertRate('outputRate', outputRate);
    if (inputRate === outputRate) {
      this.bank = undefined;
      this.delayMs = 0;
      this.history = new Float32Array(0);
      return;
    }
    const bank = filterBank(inputRate, outputRate, options.quality ?? 'telephony');
    this.bank = bank;
    this.delayMs = resamplerHoldMs(inputRate, outputRate, options.quality ?? 'telephony');
    this.history = new Float32Array(bank.tapsPerPhase * 2 + 512);
    this.reset();
  }

  /** Input samples each output's window spans; 0 for the identity. */
  get tapsPerPhase(): number {
    return this.bank?.tapsPerPhase ?? 0;
  }

  /**
   * Resample the next chunk. With equal rates the input array itself is returned (no copy).
   * Otherwise the result is a new array of every output sample whose filter window is now complete.
   */
  process(input: Int16Array): Int16Array {
    const bank = this.bank;
    if (!bank) return input;
    this.append(input);
    this.inputCount += input.length;
    // Last output whose window ends inside the input seen so far: m*down + delay <= inputCount*up - 1.
    const last = Math.floor((this.inputCount * bank.up - 1 - bank.delay) / bank.down);
    return this.run(bank, last - this.outputCount + 1);
  }

  /**
   * End of stream: the held-back tail, with silence after the last input sample. Brings the total
   * output to ceil(inputSamples * outputRate / inputRate). The resampler is then reset to a fresh state.
   */
  flush(): Int16Array {
    const bank = this.bank;
    if (!bank) return EMPTY;
    const total = Math.ceil((this.inputCount * bank.up) / bank.down);
    const count = total - this.outputCount;
    let out: Int16Array = EMPTY;
    if (count > 0) {
      const lastIndex = Math.floor(((total - 1) * bank.down + bank.delay) / bank.up);
      const zeros = lastIndex - (this.historyStart + this.historyLength) + 1;
      if (zeros > 0) this.append(new Int16Array(zeros));
      out = this.run(bank, count);
    }
    this.reset();
    return out;
  }

  private reset(): void {
    const bank = this.bank;
    if (!bank) return;
    // Silence before the first sample: the first window reaches tapsPerPhase-1 samples back.
    const lead = bank.tapsPerPhase - 1;
    this.history.fill(0, 0, lead);
    this.historyStart = -lead;
    this.historyLength = lead;
    this.inputCount = 0;
    this.outputCount = 0;
    this.nextIndex = Math.floor(bank.delay / bank.up);
    this.nextPhase = bank.delay - this.nextIndex * bank.up;
  }

  private append(input: Int16Array): void {
    const needed = this.historyLength + input.length;
    if (needed > this.history.length) {
      let size = this.history.length * 2;
      while (size < needed) size *= 2;
      const grown = new Float32Array(size);
      grown.set(this.history.subarray(0, this.historyLength));
      this.history = grown;
    }
    this.history.set(input, this.historyLength);
    this.historyLength = needed;
  }

  /** Compute `count` output samples (their windows must be in history), then drop history no longer needed. */
  private run(bank: FilterBank, count: number): Int16Array {
    if (count <= 0) return EMPTY;
    const out = new Int16Array(count);
    const { up, tapsPerPhase: taps, coefficients, passThrough, symmetric } = bank;
    const stepIndex = Math.floor(bank.down / up);
    const stepPhase = bank.down - stepIndex * up;
    const history = this.history;
    const base = this.historyStart + taps - 1;
    let index = this.nextIndex;
    let phase = this.nextPhase;
    for (let m = 0; m < count; m++) {
      // Window x[index-taps+1 .. index] against phase `phase`, both walked forward.
      const start = index - base;
      const copied = passThrough[phase]!;
      if (copied >= 0) {
        out[m] = history[start + copied]!;
      } else {
        const coef = phase * taps;
        const sum = symmetric[phase] === 1 ? foldedDot(coefficients, coef, history, start, taps) : dot(coefficients, coef, history, start, taps);
        const v = Math.round(sum);
        out[m] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      index += stepIndex;
      phase += stepPhase;
      if (phase >= up) {
        phase -= up;
        index++;
      }
    }
    this.nextIndex = index;
    this.nextPhase = phase;
    this.outputCount += count;
    // Keep only what the next window can reach: from index-taps+1 on.
    const keepFrom = Math.min(index - taps + 1 - this.historyStart, this.historyLength);
    if (keepFrom > 0) {
      history.copyWithin(0, keepFrom, this.historyLength);
      this.historyStart += keepFrom;
      this.historyLength -= keepFrom;
    }
    return out;
  }
}

// Four independent sums keep the FPU pipeline busy; the order is fixed, so results stay deterministic.

function dot(coefficients: Float32Array, coef: number, history: Float32Array, start: number, taps: number): number {
  const taps4 = taps - (taps % 4);
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let k = 0;
  for (; k < taps4; k += 4) {
    a0 += coefficients[coef + k]! * history[start + k]!;
    a1 += coefficients[coef + k + 1]! * history[start + k + 1]!;
    a2 += coefficients[coef + k + 2]! * history[start + k + 2]!;
    a3 += coefficients[coef + k + 3]! * history[start + k + 3]!;
  }
  for (; k < taps; k++) a0 += coefficients[coef + k]! * history[start + k]!;
  return a0 + a1 + (a2 + a3);
}

/** dot() for taps that read the same backwards: the two samples under each pair of equal taps are added first. */
function foldedDot(coefficients: Float32Array, coef: number, history: Float32Array, start: number, taps: number): number {
  const half = taps >> 1;
  const half4 = half - (half % 4);
  const end = start + taps - 1;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let k = 0;
  for (; k < half4; k += 4) {
    a0 += coefficients[coef + k]! * (history[start + k]! + history[end - k]!);
    a1 += coefficients[coef + k + 1]! * (history[start + k + 1]! + history[end - k - 1]!);
    a2 += coefficients[coef + k + 2]! * (history[start + k + 2]! + history[end - k - 2]!);
    a3 += coefficients[coef + k + 3]! * (history[start + k + 3]! + history[end - k - 3]!);
  }
  for (; k < half; k++) a0 += coefficients[coef + k]! * (history[start + k]! + history[end - k]!);
  if (taps % 2 === 1) a0 += coefficients[coef + half]! * history[start + half]!;
  return a0 + a1 + (a2 + a3);
}
