/**
 * Fundamental frequency (F0) by YIN (de Cheveigné & Kawahara, 2002): cumulative-mean-normalized
 * difference function, absolute threshold, parabolic interpolation. All buffers are allocated once
 * per estimator; estimate() allocates nothing.
 */

export interface PitchEstimatorOptions {
  /** Hz of the PCM the estimator will see. */
  sampleRate: number;
  /** Lowest F0 searched, Hz. */
  minF0Hz: number;
  /** Highest F0 searched, Hz. */
  maxF0Hz: number;
  /** Samples analysed per estimate; must exceed the longest period (sampleRate / minF0Hz). */
  windowLength: number;
  /** YIN absolute threshold on the normalized difference: the first dip below it is taken. */
  threshold: number;
}

/** Result of one estimate; the estimator reuses one instance, so copy the fields you keep. */
export interface PitchResult {
  /** F0 in Hz, or 0 when no period was found in range. */
  f0Hz: number;
  /** Normalized difference at the chosen period: 0 = perfectly periodic, ~1 = noise. */
  aperiodicity: number;
}

export class YinPitchEstimator {
  private readonly minLag: number;
  private readonly maxLag: number;
  private readonly integration: number;
  private readonly diff: Float64Array;
  private readonly result: PitchResult = { f0Hz: 0, aperiodicity: 1 };

  constructor(private readonly options: PitchEstimatorOptions) {
    const { sampleRate, minF0Hz, maxF0Hz, windowLength } = options;
    if (!(minF0Hz > 0 && maxF0Hz > minF0Hz && maxF0Hz < sampleRate / 4)) {
      throw new RangeError(`pitch range ${minF0Hz}-${maxF0Hz} Hz is invalid at ${sampleRate} Hz`);
    }
    this.minLag = Math.max(2, Math.floor(sampleRate / maxF0Hz));
    this.maxLag = Math.ceil(sampleRate / minF0Hz);
    this.integration = windowLength - this.maxLag - 1;
    if (this.integration < this.maxLag / 2) {
      throw new RangeError(`pitch window of ${windowLength} samples is too short for ${minF0Hz} Hz at ${sampleRate} Hz`);
    }
    this.diff = new Float64Array(this.maxLag + 2);
  }

  /** Estimate F0 of x[offset .. offset + windowLength). */
  estimate(x: Float32Array, offset: number): PitchResult {
    const { diff, minLag, maxLag, integration: w } = this;
    const lastLag = maxLag + 1;
    // Difference function d(tau) = sum_j (x_j - x_{j+tau})^2, the O(W * maxLag) inner loop.
    // Four independent sums keep the FPU pipeline busy (one sum waits on every add); the order is fixed.
    const w4 = w - (w % 4);
    for (let tau = 1; tau <= lastLag; tau++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const shifted = offset + tau;
      let j = 0;
      for (; j < w4; j += 4) {
        const d0 = x[offset + j]! - x[shifted + j]!;
        const d1 = x[offset + j + 1]! - x[shifted + j + 1]!;
        const d2 = x[offset + j + 2]! - x[shifted + j + 2]!;
        const d3 = x[offset + j + 3]! - x[shifted + j + 3]!;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      for (; j < w; j++) {
        const d = x[offset + j]! - x[shifted + j]!;
        s0 += d * d;
      }
      diff[tau] = s0 + s1 + (s2 + s3);
    }
    // Cumulative mean normalization, in place: d'(tau) = d(tau) * tau / sum_{k<=tau} d(k).
    diff[0] = 1;
    let running = 0;
    for (let tau = 1; tau <= lastLag; tau++) {
      running += diff[tau]!;
      diff[tau] = running > 0 ? (diff[tau]! * tau) / running : 1;
    }
    // First dip under the threshold (then its local minimum); otherwise the global minimum.
    let best = -1;
    for (let tau = minLag; tau <= maxLag; tau++) {
      if (diff[tau]! < this.options.threshold) {
        while (tau + 1 <= maxLag && diff[tau + 1]! < diff[tau]!) tau++;
        best = tau;
        break;
      }
    }
    if (best < 0) {
      best = minLag;
      for (let tau = minLag + 1; tau <= maxLag; tau++) if (diff[tau]! < diff[best]!) best = tau;
    }
    const a = diff[best - 1]!;
    const b = diff[best]!;
    const c = diff[best + 1]!;
    const denom = a - 2 * b + c;
    const shift = denom > 0 ? (0.5 * (a - c)) / denom : 0;
    const period = best + (Math.abs(shift) < 1 ? shift : 0);
    const f0 = this.options.sampleRate / period;
    this.result.aperiodicity = b;
    this.result.f0Hz = f0 >= this.options.minF0Hz && f0 <= this.options.maxF0Hz ? f0 : 0;
    return this.result;
  }
}
