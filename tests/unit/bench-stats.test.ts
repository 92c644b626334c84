import { describe, expect, it } from 'vitest';
import { meanInterval, mergeProgress, steadyRate } from '../../bench/stats.js';

describe('bench progress', () => {
  it('measures the rate between 10 % and 90 % of the total, leaving out a slow start and tail', () => {
    // 1 unit/s for the first 10 s (ramp-up), 10 units/s for 10 s, then 1 unit/s for 10 s (tail): 120 in all.
    const progress: Array<[number, number]> = [];
    for (let s = 0; s <= 30; s++) progress.push([s * 1000, s <= 10 ? s : s <= 20 ? 10 + (s - 10) * 10 : 110 + (s - 20)]);
    expect(steadyRate(progress)).toBeCloseTo(10, 6);
  });

  it('merges threads that report at different moments into one cumulative line', () => {
    const merged = mergeProgress([
      [
        [0, 5],
        [20, 10],
      ],
      [
        [10, 3],
        [30, 6],
      ],
    ]);
    expect(merged).toEqual([
      [0, 5],
      [10, 8],
      [20, 13],
      [30, 16],
    ]);
  });

  it('gives 0 when nothing was done', () => {
    expect(steadyRate([])).toBe(0);
    expect(steadyRate([[0, 0]])).toBe(0);
  });
});

describe('bench rounds', () => {
  it("gives the mean and a Student's t 95 % interval around it", () => {
    // Deviations -0.1, 0, 0, 0.1: sample variance 0.02 / 3; t for 3 degrees of freedom 3.182.
    const { mean, low, high } = meanInterval([0.9, 1.0, 1.0, 1.1]);
    expect(mean).toBeCloseTo(1, 9);
    const half = (3.182 * Math.sqrt(0.02 / 3)) / 2;
    expect(high - mean).toBeCloseTo(half, 9);
    expect(mean - low).toBeCloseTo(half, 9);
  });

  it('narrows with more rounds of the same spread, and has no width for one round', () => {
    const few = meanInterval([0.9, 1.1, 0.9, 1.1]);
    const many = meanInterval(Array.from({ length: 40 }, (_, i) => (i % 2 ? 1.1 : 0.9)));
    expect(many.high - many.low).toBeLessThan((few.high - few.low) / 3);
    expect(meanInterval([0.93])).toEqual({ mean: 0.93, low: 0.93, high: 0.93 });
  });
});
