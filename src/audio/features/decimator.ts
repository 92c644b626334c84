/**
 * Low-pass and keep every `factor`-th sample, for pitch analysis at about 8 kHz whatever the call's
 * rate: F0 lies far below 4 kHz, and YIN's cost grows with the square of the rate. Windowed-sinc
 * FIR (Hamming), cutoff at 90% of the new Nyquist frequency. Allocation-free after construction.
 */
export class Decimator {
  readonly taps: Float32Array;

  constructor(readonly factor: number, tapCount = 31) {
    if (!Number.isInteger(factor) || factor < 2) throw new RangeError('decimation factor must be an integer >= 2');
    const n = tapCount | 1;
    const cutoff = 0.45 / factor; // cycles per input sample
    const mid = (n - 1) / 2;
    this.taps = new Float32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = i - mid;
      const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
      const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1));
      this.taps[i] = sinc * w;
      sum += sinc * w;
    }
    for (let i = 0; i < n; i++) this.taps[i]! /= sum; // unity gain at DC
  }

  /** Input samples needed before the first output sample's centre (the filter's history). */
  get lookBehind(): number {
    return this.taps.length - 1;
  }

  /**
   * Fill out[0..count) from input: out[k] = filtered input at index lookBehind + k * factor
   * (input must hold lookBehind + (count - 1) * factor + 1 samples from `offset`).
   */
  run(input: Float32Array, offset: number, out: Float32Array, count: number): void {
    const taps = this.taps;
    const n = taps.length;
    for (let k = 0; k < count; k++) {
      const end = offset + k * this.factor + n; // exclusive; newest sample at end - 1
      let acc = 0;
      for (let j = 0; j < n; j++) acc += taps[j]! * input[end - 1 - j]!;
      out[k] = acc;
    }
  }
}
