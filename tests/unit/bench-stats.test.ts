import { describe, expect, it } from 'vitest';
import { mergeProgress, steadyRate } from '../../bench/stats.js';

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
