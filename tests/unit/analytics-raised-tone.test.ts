import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { RaisedToneTracker, raisedToneDetector, type RaisedToneEvent, type RaisedToneSummary } from '../../src/analytics/raised-tone.js';
import { defaultMeasuresOptions, type RaisedToneOptions } from '../../src/analytics/measures-options.js';
import { SpeakerBaseline, medianOf } from '../../src/analytics/baseline.js';
import { packets, prng, synthVoice } from '../helpers/synthetic-voice.js';

const FRAME_MS = 20;

interface Seg {
  ms: number;
  /** Level of voiced frames, dBFS (jittered +-3 dB). */
  db?: number;
  /** F0 of voiced frames, Hz (jittered +-5%); 0 = silence. */
  f0?: number;
  /** Level of unvoiced frames (noise), dBFS; they never carry pitch. */
  noiseDb?: number;
}

/** Runs a tracker over a frame schedule: speech is 3 voiced frames out of 4. */
function track(segs: Seg[], overrides: Partial<RaisedToneOptions> = {}): { events: RaisedToneEvent[]; tracker: RaisedToneTracker } {
  const options = { ...defaultMeasuresOptions().raisedTone, ...overrides };
  const tracker = new RaisedToneTracker('customer', options, FRAME_MS);
  const events: RaisedToneEvent[] = [];
  const rand = prng(3);
  let t = 0;
  let i = 0;
  for (const s of segs) {
    for (let end = t + s.ms; t < end; t += FRAME_MS, i++) {
      const voiced = (s.f0 ?? 0) > 0 && i % 4 !== 3;
      const level = voiced ? s.db! + (rand() * 6 - 3) : (s.noiseDb ?? -70);
      tracker.frame(t, level, voiced ? s.f0! * (0.95 + rand() * 0.1) : 0, events);
    }
  }
  tracker.finish(events);
  return { events, tracker };
}

const calm = (ms: number): Seg => ({ ms, db: -28, f0: 120 });
const raised = (ms: number): Seg => ({ ms, db: -18, f0: 165 }); // +10 dB, +5.5 semitones
const pause = (ms: number): Seg => ({ ms });
const alertsOf = (events: RaisedToneEvent[]) => events.flatMap((e) => (e.type === 'alert' ? [e.alert] : []));
const episodesOf = (events: RaisedToneEvent[]) => events.flatMap((e) => (e.type === 'episode' ? [e.episode] : []));

describe('baseline helpers', () => {
  it('medianOf uses scratch space and handles even counts', () => {
    const v = Float32Array.from([5, 1, 4, 2]);
    expect(medianOf(v, 4, new Float32Array(4))).toBe(3);
    expect(medianOf(v, 3, new Float32Array(4))).toBe(4);
    expect([...v]).toEqual([5, 1, 4, 2]);
  });
  it('learns medians, then moves one bounded step per frame', () => {
    const b = new SpeakerBaseline({ learnFrames: 5, loudnessStepDb: 0.01, pitchStepSemitones: 0.01 });
    for (const l of [-30, -28, -26, -29, -27]) b.learn(l, 3);
    expect(b.ready).toBe(true);
    expect(b.loudnessDb).toBe(-28);
    b.adapt(0, 3); // a very loud frame moves the baseline by one step only
    expect(b.loudnessDb).toBeCloseTo(-27.99, 5);
  });
});

describe('RaisedToneTracker', () => {
  it('alerts on a sustained raise, with its start near the onset', () => {
    const { events } = track([calm(20_000), raised(8000), calm(10_000)]);
    const alerts = alertsOf(events);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    const a = alerts[0]!;
    expect(a.kind).toBe('raised_tone');
    expect(a.party).toBe('customer');
    expect(Math.abs(a.startMs - 20_000)).toBeLessThanOrEqual(500);
    expect(a.endMs - a.startMs).toBeGreaterThanOrEqual(2000);
    expect(a.endMs).toBeLessThan(23_500);
    const [episode] = episodesOf(events);
    expect(episode!.endMs).toBeGreaterThan(27_000);
    expect(episode!.endMs).toBeLessThan(29_000);
    expect(episode!.loudnessRiseDb).toBeGreaterThan(8);
    expect(episode!.pitchRiseSemitones).toBeGreaterThan(4);
  });

  it('does not fire on a calm speaker', () => {
    expect(track([calm(60_000)]).events).toEqual([]);
  });

  it('does not fire on one loud word (shorter than minDurationMs)', () => {
    expect(track([calm(20_000), raised(700), calm(20_000)]).events).toEqual([]);
  });

  it('does not fire on a speaker who is loud from the start', () => {
    expect(track([raised(60_000)]).events).toEqual([]);
  });

  it('does not fire on loud noise (unvoiced frames), however long', () => {
    expect(track([calm(20_000), { ms: 10_000, noiseDb: -10 }, calm(10_000)]).events).toEqual([]);
  });

  it("with require 'both', louder alone or higher alone is not raised", () => {
    const louder: Seg = { ms: 8000, db: -18, f0: 120 };
    const higher: Seg = { ms: 8000, db: -28, f0: 165 };
    expect(alertsOf(track([calm(20_000), louder, calm(5000)]).events)).toEqual([]);
    expect(alertsOf(track([calm(20_000), higher, calm(5000)]).events)).toEqual([]);
    expect(alertsOf(track([calm(20_000), louder, calm(5000)], { require: 'loudness' }).events)).toHaveLength(1);
    expect(alertsOf(track([calm(20_000), higher, calm(5000)], { require: 'either' }).events)).toHaveLength(1);
  });

  it('judges nothing before the baseline is learned', () => {
    const { events, tracker } = track([calm(2000), raised(8000)]);
    expect(events).toEqual([]);
    expect(tracker.summary().baselineLearned).toBe(true);
  });

  it('hysteresis keeps an episode through a dip that stays above margin minus hysteresis', () => {
    const dip: Seg = { ms: 3000, db: -23, f0: 150 }; // +5 dB, +3.9 st: below entry (6 dB) but above exit (4 dB)
    const { events } = track([calm(20_000), raised(4000), dip, raised(4000), calm(10_000)]);
    expect(episodesOf(events)).toHaveLength(1);
    const noHysteresis = track([calm(20_000), raised(4000), dip, raised(4000), calm(10_000)], { loudnessHysteresisDb: 0 });
    expect(episodesOf(noHysteresis.events)).toHaveLength(2);
  });

  it('a pause inside a raised passage does not split it; a long silence ends it', () => {
    expect(episodesOf(track([calm(20_000), raised(4000), pause(1000), raised(4000), calm(10_000)]).events)).toHaveLength(1);
    const split = track([calm(20_000), raised(4000), pause(5000), raised(4000), calm(10_000)], { cooldownMs: 0 });
    expect(episodesOf(split.events)).toHaveLength(2);
    expect(alertsOf(split.events).map((a) => a.key.split(':')[2])).toEqual(['1', '2']);
  });

  it('cooldown: a second episode soon after the first is measured but not alerted', () => {
    const { events } = track([calm(20_000), raised(4000), calm(6000), raised(4000), calm(10_000)]);
    const episodes = episodesOf(events);
    expect(episodes).toHaveLength(2);
    expect(episodes.map((e) => e.alerted)).toEqual([true, false]);
    expect(new Set(alertsOf(events).map((a) => a.startMs)).size).toBe(1);
  });

  it('severity grows with how far and how long, with one alert per new severity', () => {
    const mild = alertsOf(track([calm(20_000), { ms: 5000, db: -21, f0: 140 }, calm(5000)]).events); // +7 dB, +2.7 st
    expect(mild.map((a) => a.severity)).toEqual(['low']);
    const long = alertsOf(track([calm(20_000), raised(15_000), calm(5000)]).events);
    expect(long.map((a) => a.severity)).toEqual(['medium', 'high']);
    expect(new Set(long.map((a) => a.key)).size).toBe(2);
    expect(long[1]!.details?.['escalation']).toBe(true);
  });
});

describe('raisedToneDetector on synthetic PCM', () => {
  it('emits alert, measure and the raisedTone section; nothing for a calm second party', async () => {
    const rate = 8000;
    const speech = (ms: number, f0: number, dbfs: number) => ({ ms, f0Hz: f0, dbfs, syllableHz: 4 });
    const customer = synthVoice([speech(15_000, 120, -28), speech(6000, 170, -17), speech(8000, 120, -28)], rate);
    const agent = synthVoice([speech(29_000, 200, -26)], rate, 2);
    const detector = raisedToneDetector(defaultMeasuresOptions());
    const outputs = await lastValueFrom(
      detector({
        callId: 'c',
        parties: ['customer', 'agent'],
        language: 'en',
        transcripts$: from([]),
        audio$: from([...packets('customer', customer, rate), ...packets('agent', agent, rate)]),
      }).pipe(toArray()),
    );
    const alerts = outputs.flatMap((o) => (o.kind === 'alert' ? [o.alert] : []));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts.every((a) => a.party === 'customer')).toBe(true);
    expect(Math.abs(alerts[0]!.startMs - 15_000)).toBeLessThan(1000);
    const measures = outputs.flatMap((o) => (o.kind === 'measure' ? [o.measure] : []));
    expect(measures).toHaveLength(1);
    expect(measures[0]).toMatchObject({ measure: 'raised_tone', party: 'customer' });
    expect(measures[0]!.value).toBeGreaterThan(8);
    const summary = outputs.at(-1);
    expect(summary?.kind).toBe('summary');
    const value = (summary as { value: RaisedToneSummary }).value;
    expect(value.parties['agent']?.episodes).toBe(0);
    expect(value.parties['agent']?.baselineF0Hz).toBeCloseTo(200, -1);
    expect(value.parties['customer']?.episodes).toBe(1);
  });
});
