import { describe, it, expect } from 'vitest';
import { concat, from, lastValueFrom, throwError, toArray } from 'rxjs';
import { computeEmotionCurve, emotionCurveDetector, type EmotionCurve } from '../../src/analytics/emotion-curve.js';
import { measuresDetector } from '../../src/analytics/measures.js';
import { defaultMeasuresOptions, measuresOptionsSchema } from '../../src/analytics/measures-options.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { interleave, packets, synthVoice } from '../helpers/synthetic-voice.js';

const options = defaultMeasuresOptions().emotionCurve;

describe('computeEmotionCurve', () => {
  it('scores each stage 1-5 per party and overall from sentiment and raised tone', () => {
    const curve = computeEmotionCurve(
      100_000,
      ['agent', 'customer'],
      [
        { party: 'customer', startMs: 1000, endMs: 3000, value: -0.9 }, // opening, very negative
        { party: 'agent', startMs: 4000, endMs: 6000, value: 0.4 },
        { party: 'customer', startMs: 40_000, endMs: 42_000, value: 0 }, // middle, neutral...
        { party: 'customer', startMs: 90_000, endMs: 92_000, value: 0.95 }, // closing, very positive
      ],
      [{ party: 'customer', startMs: 50_000, endMs: 58_000 }], // ...but raised in the middle
      options,
    );
    expect(curve.stages.map((s) => [s.name, s.startMs, s.endMs])).toEqual([
      ['opening', 0, 20_000],
      ['middle', 20_000, 80_000],
      ['closing', 80_000, 100_000],
    ]);
    expect(curve.stages.map((s) => s.parties['customer'])).toEqual([1, 2, 5]);
    expect(curve.stages.map((s) => s.parties['agent'])).toEqual([4, null, null]);
    expect(curve.stages.map((s) => s.score)).toEqual([3, 2, 5]);
  });

  it('caps the raised-tone penalty and keeps scores within 1..5', () => {
    const episodes = [0, 1, 2, 3].map((i) => ({ party: 'customer', startMs: 1000 + i * 1000, endMs: 1500 + i * 1000 }));
    const curve = computeEmotionCurve(10_000, ['customer'], [{ party: 'customer', startMs: 0, endMs: 1000, value: 1 }], episodes, {
      ...options,
      stages: [{ name: 'all', endFraction: 1 }],
    });
    expect(curve.stages[0]!.score).toBe(3); // 3 + 2 - min(2, 4)
  });

  it('takes configurable stage boundaries', () => {
    const parsed = measuresOptionsSchema.parse({ emotionCurve: { stages: [{ name: 'first', endFraction: 0.5 }, { name: 'second', endFraction: 1 }] } });
    const curve = computeEmotionCurve(60_000, ['a'], [{ party: 'a', startMs: 40_000, endMs: 50_000, value: -0.5 }], [], parsed.emotionCurve);
    expect(curve.stages).toEqual([
      { name: 'first', startMs: 0, endMs: 30_000, score: null, parties: { a: null } },
      { name: 'second', startMs: 30_000, endMs: 60_000, score: 2, parties: { a: 2 } },
    ]);
    expect(() => measuresOptionsSchema.parse({ emotionCurve: { stages: [{ name: 'x', endFraction: 0.5 }] } })).toThrow(/end at 1/);
  });
});

function utt(party: string, text: string, startMs: number): TranscriptEvent {
  return { type: 'transcript', v: 1, callId: 'c', party, final: true, text, words: [], startMs, endMs: startMs + 2000, utterance: 0 };
}

describe('emotion curve and measures detectors on a whole synthetic call', () => {
  const rate = 8000;
  const speech = (ms: number, f0: number, dbfs: number) => ({ ms, f0Hz: f0, dbfs, syllableHz: 4, glideSemitones: 1 });
  // 40 s: customer calm, raised at 20-26 s, calm again; agent speaks in the gaps.
  const customer = synthVoice([speech(10_000, 120, -28), { ms: 10_000 }, speech(6000, 170, -17), speech(4000, 120, -28), { ms: 10_000 }], rate, 1);
  const agent = synthVoice([{ ms: 10_000 }, speech(10_000, 210, -26), { ms: 10_000 }, speech(10_000, 210, -26)], rate, 2);
  const audio = interleave(packets('customer', customer, rate), packets('agent', agent, rate));
  const transcripts = [utt('customer', 'hello, I have a problem', 1000), utt('agent', 'happy to help', 12_000), utt('customer', 'this is awful', 21_000), utt('customer', 'thank you, great', 34_000)];
  const streams = () => ({ callId: 'c', parties: ['customer', 'agent'], language: 'en', transcripts$: from(transcripts), audio$: from(audio) });

  it('emotionCurveDetector emits the emotionCurve section over the call', async () => {
    const outputs = await lastValueFrom(emotionCurveDetector(defaultMeasuresOptions())(streams()).pipe(toArray()));
    expect(outputs).toHaveLength(1);
    const curve = (outputs[0] as { value: EmotionCurve }).value;
    expect(curve.durationMs).toBe(40_000);
    expect(curve.stages.map((s) => s.name)).toEqual(['opening', 'middle', 'closing']);
    expect(curve.stages[1]!.parties['customer']).toBe(1); // "awful" and a raised tone in the middle
    expect(curve.stages[2]!.parties['customer']).toBeGreaterThanOrEqual(4);
  });

  it("uses the session's durationMs$ for the stage boundaries when given", async () => {
    const outputs = await lastValueFrom(emotionCurveDetector(defaultMeasuresOptions())({ ...streams(), durationMs$: from([50_000]) }).pipe(toArray()));
    const curve = (outputs[0] as { value: EmotionCurve }).value;
    expect(curve.durationMs).toBe(50_000);
    expect(curve.stages[2]).toMatchObject({ startMs: 40_000, endMs: 50_000 });
  });

  it('measuresDetector computes everything once and emits all four sections (cold sources)', async () => {
    const outputs = await lastValueFrom(measuresDetector(defaultMeasuresOptions())(streams()).pipe(toArray()));
    const sections = outputs.flatMap((o) => (o.kind === 'summary' ? [o.section] : [])).sort();
    expect(sections).toEqual(['emotionCurve', 'raisedTone', 'sentiment', 'talk']);
    const kinds = new Set(outputs.flatMap((o) => (o.kind === 'measure' ? [o.measure.measure] : [])));
    expect(kinds).toEqual(new Set(['raised_tone', 'sentiment', 'talk_speed'])); // no dead air: someone always talks
    expect(outputs.filter((o) => o.kind === 'alert' && o.alert.kind === 'raised_tone').length).toBeGreaterThanOrEqual(1);
    const curve = outputs.find((o) => o.kind === 'summary' && o.section === 'emotionCurve') as { value: EmotionCurve };
    expect(curve.value.stages[1]!.parties['customer']).toBe(1);
  });

  it('measuresDetector fails per measure: a transcript source that errors stops sentiment and talk, raised tone and the curve go on', async () => {
    const failing = { ...streams(), transcripts$: concat(from(transcripts), throwError(() => new Error('transcripts broke'))) };
    const outputs = await lastValueFrom(measuresDetector(defaultMeasuresOptions())(failing).pipe(toArray()));
    const sections = outputs.flatMap((o) => (o.kind === 'summary' && o.section !== 'errors' ? [o.section] : [])).sort();
    expect(sections).toEqual(['emotionCurve', 'raisedTone']);
    const failed = outputs.flatMap((o) => (o.kind === 'summary' && o.section === 'errors' ? (o.value as Array<{ detector: string }>).map((f) => f.detector) : []));
    expect(failed.sort()).toEqual(['sentiment', 'talk']);
  });
});
