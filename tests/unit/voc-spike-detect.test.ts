import { describe, expect, it } from 'vitest';
import { spikeOptionsSchema } from '../../src/analytics/voc/options.js';
import { poisson, rng } from '../helpers/voc.js';
import { assessSeries, chooseBaseline, poissonUpperTail, seriesToAssess, stepEpisodes, sumCounts, type Counts, type Episode } from '../../src/analytics/voc/spike-detect.js';

const options = spikeOptionsSchema.parse({});

describe('poissonUpperTail', () => {
  it('matches exact values and keeps tiny tails precise', () => {
    expect(poissonUpperTail(0, 3)).toBe(1);
    expect(poissonUpperTail(1, 3)).toBeCloseTo(1 - Math.exp(-3), 12);
    // P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2)
    expect(poissonUpperTail(3, 1)).toBeCloseTo(1 - Math.exp(-1) * 2.5, 12);
    const tiny = poissonUpperTail(60, 10);
    expect(tiny).toBeGreaterThan(0);
    expect(tiny).toBeLessThan(1e-20);
    expect(poissonUpperTail(61, 10)).toBeLessThan(tiny);
    expect(poissonUpperTail(5, 0)).toBe(0);
  });
});

describe('assessSeries', () => {
  const baseline: Counts = { calls: 1000, 'driver:roaming': 100 };
  it('expects the baseline share of the window volume', () => {
    const a = assessSeries('driver:roaming', { calls: 200, 'driver:roaming': 20 }, baseline, options);
    expect(a.expected).toBeCloseTo((100.5 / 1001) * 200, 6);
    expect(a.spiking).toBe(false);
    expect(a.calm).toBe(true);
  });
  it('a tripled share is a significant spike', () => {
    const a = assessSeries('driver:roaming', { calls: 240, 'driver:roaming': 60 }, baseline, options);
    expect(a.pValue).toBeLessThan(options.alpha);
    expect(a.spiking).toBe(true);
  });
  it("a quiet queue's 1 -> 3 is not a spike (minimum count), however unlikely", () => {
    const a = assessSeries('driver:rare', { calls: 50, 'driver:rare': 3 }, { calls: 5000, 'driver:rare': 1 }, options);
    expect(a.pValue).toBeLessThan(options.alpha);
    expect(a.spiking).toBe(false);
  });
  it('more calls overall (a busy hour) is no spike of a driver whose share is unchanged', () => {
    const a = assessSeries('driver:roaming', { calls: 3000, 'driver:roaming': 310 }, baseline, options);
    expect(a.spiking).toBe(false);
  });
});

describe('chooseBaseline', () => {
  const day = (calls: number, n: number): Counts => ({ calls, 'driver:x': n });
  it('uses the same hour of previous days once enough days have calls (seasonality)', () => {
    const b = chooseBaseline([day(100, 40), day(0, 0), day(120, 50), day(110, 44)], { calls: 500, 'driver:x': 10 }, options);
    expect(b).toEqual({ kind: 'seasonal', counts: { calls: 330, 'driver:x': 134 } });
  });
  it('falls back to the trailing buckets, or to nothing without enough calls', () => {
    expect(chooseBaseline([day(100, 40)], { calls: 500, 'driver:x': 10 }, options)?.kind).toBe('trailing');
    expect(chooseBaseline([], { calls: 10, 'driver:x': 1 }, options)).toBeUndefined();
  });
  it('seasonality: a driver that is always busy at 09:00 is not a spike there, but the same count at 03:00 is', () => {
    // Previous days: at 09:00 the driver is 40% of calls; at 03:00 5%.
    const at9 = [day(300, 120), day(320, 130), day(310, 122)];
    const at3 = [day(300, 15), day(320, 16), day(310, 14)];
    const trailing = { calls: 600, 'driver:x': 30 }; // the night before
    const window = { calls: 100, 'driver:x': 40 };
    expect(assessSeries('driver:x', window, chooseBaseline(at9, trailing, options)!.counts, options).spiking).toBe(false);
    expect(assessSeries('driver:x', window, chooseBaseline(at3, trailing, options)!.counts, options).spiking).toBe(true);
  });
});

describe('stepEpisodes', () => {
  const opts = { endAfterBuckets: 2 };
  const a = (series: string, spiking: boolean, calm: boolean, observed = 30) => ({ series, observed, expected: 10, volume: 100, expectedRate: 0.1, pValue: spiking ? 1e-9 : 0.5, spiking, calm });
  it('raises once per episode, keeps it through noisy buckets, ends after calm buckets', () => {
    let ids = 0;
    const newId = (s: string) => `${s}#${++ids}`;
    let state = new Map<string, Episode>();
    const raisedAt: number[] = [];
    const endedAt: number[] = [];
    const script: Array<[boolean, boolean]> = [[false, true], [true, false], [true, false], [false, false], [false, true], [true, false], [false, true], [false, true], [true, false]];
    script.forEach(([spiking, calm], t) => {
      const step = stepEpisodes(state, [a('driver:x', spiking, calm, 30 + t)], t, opts, newId);
      if (step.raised.length) raisedAt.push(t);
      if (step.ended.length) endedAt.push(t);
      state = step.active;
    });
    expect(raisedAt).toEqual([1, 8]);
    expect(endedAt).toEqual([7]);
    expect(state.get('driver:x')?.id).toBe('driver:x#2');
  });
  it('a restart resumes persisted episodes: no second raise', () => {
    const persisted = new Map([['driver:x', { id: 'e1', series: 'driver:x', raisedAtMs: 0, calm: 0, peakObserved: 30 }]]);
    const step = stepEpisodes(persisted, [a('driver:x', true, false)], 1, opts, () => 'new');
    expect(step.raised).toEqual([]);
    expect(step.active.get('driver:x')?.id).toBe('e1');
  });
});

describe('steady Poisson traffic raises nothing; a tripled driver is found within 2 buckets', () => {
  /** A day of 1-minute buckets: volume follows a daily curve, drivers keep their shares. */
  function simulate(seed: number, spikeAt?: number) {
    const random = rng(seed);
    const shares: Record<string, number> = { 'driver:a': 0.3, 'driver:b': 0.2, 'driver:c': 0.1, 'department:billing': 0.5, 'category:x': 0.25 };
    const buckets: Array<Record<string, number>> = [];
    for (let m = 0; m < 1440; m++) {
      const volume = 60 + 40 * Math.sin((Math.PI * m) / 1440); // calls a minute, busier at midday
      const counts: Record<string, number> = {};
      let calls = 0;
      for (const [series, share] of Object.entries(shares)) {
        const boost = spikeAt !== undefined && m >= spikeAt && series === 'driver:c' ? 3 : 1;
        counts[series] = poisson(random, volume * share * boost);
        if (series.startsWith('driver:')) calls += counts[series];
      }
      counts.calls = calls + poisson(random, volume * 0.4); // plus unclassified calls
      buckets.push(counts);
    }
    let active = new Map<string, Episode>();
    const raised: Array<{ series: string; minute: number }> = [];
    for (let m = options.baselineBuckets + options.windowBuckets; m < 1440; m++) {
      const window = sumCounts(buckets.slice(m - options.windowBuckets + 1, m + 1));
      const trailing = sumCounts(buckets.slice(m - options.windowBuckets + 1 - options.baselineBuckets, m - options.windowBuckets + 1));
      const baseline = chooseBaseline([], trailing, options);
      if (!baseline) continue;
      const assessments = seriesToAssess(window, baseline.counts, active.keys()).map((s) => assessSeries(s, window, baseline.counts, options));
      const step = stepEpisodes(active, assessments, m, options, (s) => `${s}@${m}`);
      for (const r of step.raised) raised.push({ series: r.episode.series, minute: m });
      active = step.active;
    }
    return raised;
  }

  it.each([1, 2, 3])('seed %i: 0 spikes on a steady day', (seed) => {
    expect(simulate(seed)).toEqual([]);
  });
  it('a driver tripling at 14:00 is raised within 2 buckets, once', () => {
    const raised = simulate(7, 14 * 60);
    expect(raised.filter((r) => r.series === 'driver:c')).toEqual([{ series: 'driver:c', minute: expect.any(Number) }]);
    expect(raised[0]!.minute - 14 * 60).toBeLessThan(2);
  });
});
