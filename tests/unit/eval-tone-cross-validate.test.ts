import { describe, expect, it } from 'vitest';
import { defaultMeasuresOptions } from '../../src/analytics/measures-options.js';
import { better, gridNeighbours, gridSettings, speakerFolds, type GridAxis, type Objective } from '../../src/cli/eval/tone/cross-validate.js';

const GRID: GridAxis[] = [
  { option: 'scoreThreshold', values: [1.5, 1.25, 1.75] },
  { option: 'evidenceMs', values: [700, 500] },
];

describe('voc eval tone --cross-validate helpers', () => {
  it('gridSettings: every combination, first axis slowest, other options from the base', () => {
    const base = defaultMeasuresOptions().raisedTone;
    const settings = gridSettings(base, GRID);
    expect(settings.map((s) => [s.scoreThreshold, s.evidenceMs])).toEqual([
      [1.5, 700],
      [1.5, 500],
      [1.25, 700],
      [1.25, 500],
      [1.75, 700],
      [1.75, 500],
    ]);
    expect(settings.every((s) => s.absoluteTiltDb === base.absoluteTiltDb)).toBe(true);
  });

  it('speakerFolds: contiguous sorted folds of near-equal size, every speaker once', () => {
    const folds = speakerFolds(['05', '01', '03', '02', '04', '06', '07'], 3);
    expect(folds).toEqual([
      ['01', '02', '03'],
      ['04', '05'],
      ['06', '07'],
    ]);
  });

  it('gridNeighbours: one step along one axis in sorted value order', () => {
    const n = gridNeighbours(GRID);
    // Setting 0 is (1.5, 700): neighbours (1.25, 700) = 2, (1.75, 700) = 4 and (1.5, 500) = 1.
    expect(n[0]!.sort()).toEqual([1, 2, 4]);
    // Setting 2 is (1.25, 700): 1.25 is the lowest, so only (1.5, 700) = 0 and (1.25, 500) = 3.
    expect(n[2]!.sort()).toEqual([0, 3]);
    // Setting 5 is (1.75, 500): (1.5, 500) = 1 and (1.75, 700) = 4.
    expect(n[5]!.sort()).toEqual([1, 4]);
  });

  it("better: ('neighbours') false alerts around the setting first, then (both rules) its own, latency, worst margin, mean F1", () => {
    const o = (x: Partial<Objective>): Objective => ({ neighbourFalseAlerts: 0, falseAlerts: 0, latencyOk: true, worstMargin: 0, meanF1: 0.8, ...x });
    expect(better(o({ neighbourFalseAlerts: 0, worstMargin: -0.1 }), o({ neighbourFalseAlerts: 1, worstMargin: 0.1 }), 'neighbours')).toBe(true);
    expect(better(o({ neighbourFalseAlerts: 0, worstMargin: -0.1 }), o({ neighbourFalseAlerts: 1, worstMargin: 0.1 }), 'plain')).toBe(false);
    expect(better(o({ falseAlerts: 0, neighbourFalseAlerts: 2 }), o({ falseAlerts: 1, neighbourFalseAlerts: 1 }), 'neighbours')).toBe(false);
    expect(better(o({ falseAlerts: 0, neighbourFalseAlerts: 2 }), o({ falseAlerts: 1, neighbourFalseAlerts: 1 }), 'plain')).toBe(true);
    for (const rule of ['plain', 'neighbours'] as const) {
      expect(better(o({ latencyOk: false, worstMargin: 0.2 }), o({ worstMargin: 0 }), rule)).toBe(false);
      expect(better(o({ worstMargin: 0.02 }), o({ worstMargin: 0.01, meanF1: 0.9 }), rule)).toBe(true);
      expect(better(o({ meanF1: 0.9 }), o({ meanF1: 0.8 }), rule)).toBe(true);
      // Equal: the earlier setting stays.
      expect(better(o({}), o({}), rule)).toBe(false);
    }
  });
});
