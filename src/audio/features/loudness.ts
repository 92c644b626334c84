/** Level of a silent frame (the log of zero is clamped here), in dBFS. */
export const SILENCE_DBFS = -120;

/**
 * RMS level of `length` samples of `x` from `offset`, in dBFS (0 dBFS = a full-scale square wave
 * of a signed 16-bit signal; a full-scale sine is -3 dBFS). `x` holds PCM16 values as floats.
 */
export function rmsDbfs(x: Float32Array, offset: number, length: number): number {
  let sum = 0;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const v = x[i]!;
    sum += v * v;
  }
  const meanSquare = sum / (length * 32768 * 32768);
  if (meanSquare <= 1e-12) return SILENCE_DBFS;
  return 10 * Math.log10(meanSquare);
}
