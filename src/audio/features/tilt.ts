/**
 * Spectral tilt of a frame as one number: the energy of the first difference over the energy of the
 * signal, in dB. The difference weights a component at f by (2 sin(pi f / fs))^2, so the measure
 * rises as energy moves from the fundamental and first formant toward the upper formants, as it does
 * in a strained or shouted voice (a flatter spectrum). It does not depend on the level (line gain).
 * At the same rate (the frame analyzer measures it on ~8 kHz audio) values are comparable across calls.
 */

/** Tilt of a silent frame (no energy). */
export const SILENT_TILT_DB = -60;

/** Difference-to-signal energy ratio of x[offset .. offset + length), dB (x[offset - 1] must exist). */
export function tiltDb(x: Float32Array, offset: number, length: number): number {
  let energy = 0;
  let diff = 0;
  let prev = x[offset - 1]!;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const v = x[i]!;
    energy += v * v;
    const d = v - prev;
    diff += d * d;
    prev = v;
  }
  if (energy <= 0) return SILENT_TILT_DB;
  return 10 * Math.log10(Math.max(diff, 1e-9) / energy);
}
