import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { SentimentScorer, fittedChange, sentimentDetector, sentimentSupported, type SentimentSummary } from '../../src/analytics/sentiment.js';
import { defaultMeasuresOptions } from '../../src/analytics/measures-options.js';
import type { TranscriptEvent } from '../../src/events/schema.js';

function utt(party: string, text: string, startMs: number, final = true): TranscriptEvent {
  return { type: 'transcript', v: 1, callId: 'c', party, final, text, words: [], startMs, endMs: startMs + 2000, utterance: 0 };
}

async function run(events: TranscriptEvent[], language = 'en-US') {
  const outputs = await lastValueFrom(
    sentimentDetector(defaultMeasuresOptions())({ callId: 'c', parties: ['agent', 'customer'], language, transcripts$: from(events), audio$: from([]) }).pipe(
      toArray(),
    ),
  );
  const summary = outputs.at(-1);
  if (summary?.kind !== 'summary' || summary.section !== 'sentiment') throw new Error('no sentiment section last');
  return { outputs, summary: summary.value as SentimentSummary, measures: outputs.flatMap((o) => (o.kind === 'measure' ? [o.measure] : [])) };
}

describe('SentimentScorer', () => {
  const s = new SentimentScorer();
  it('scores positive, negative and neutral English, normalized to -1..1', () => {
    const pos = s.score('thank you so much, that is great and very helpful');
    const neg = s.score('this is terrible, I am angry and disappointed');
    const neutral = s.score('my account number is four five six');
    expect(pos.score).toBeGreaterThan(0);
    expect(pos.normalized).toBeGreaterThan(0.5);
    expect(pos.normalized).toBeLessThan(1);
    expect(neg.normalized).toBeLessThan(-0.5);
    expect(neg.normalized).toBeGreaterThan(-1);
    expect(neutral).toEqual({ score: 0, normalized: 0 });
  });
  it('handles negation', () => {
    expect(s.score('this is not good').score).toBeLessThan(0);
  });
});

describe('fittedChange', () => {
  it('is the fitted rise over the time span', () => {
    expect(fittedChange([0, 1, 2, 3], [0, 0.1, 0.2, 0.3])).toBeCloseTo(0.3, 10);
    expect(fittedChange([0, 10], [1, -1])).toBeCloseTo(-2, 10);
    expect(fittedChange([5], [1])).toBe(0);
  });
});

describe('sentimentDetector', () => {
  it('emits a measure per final utterance, ignores partials, and a per-party trend', async () => {
    const { measures, summary } = await run([
      utt('customer', 'this is terrible and I am very angry', 0),
      utt('customer', 'this is terrible', 2000, false),
      utt('agent', 'I am sorry, I will help you right away', 3000),
      utt('customer', 'well, that is a bit better', 10_000),
      utt('customer', 'ok', 15_000),
      utt('customer', 'great, thank you so much, wonderful help', 20_000),
      utt('agent', 'you are welcome, have a great day', 22_000),
    ]);
    expect(measures).toHaveLength(6);
    expect(measures[0]).toMatchObject({ measure: 'sentiment', party: 'customer', startMs: 0, endMs: 2000 });
    expect(measures[0]!.value).toBeLessThan(0);
    expect(summary.supported).toBe(true);
    expect(summary.utterances).toHaveLength(6);
    expect(summary.parties['customer']).toMatchObject({ utterances: 4, trend: 'improving' });
    expect(summary.parties['customer']!.trendDelta!).toBeGreaterThan(0.5);
    expect(summary.parties['agent']).toMatchObject({ utterances: 2, trend: 'insufficient', trendDelta: null });
    expect(summary.parties['agent']!.average!).toBeGreaterThan(0);
  });

  it('finds a worsening trend, and a stable one', async () => {
    const worse = await run([utt('customer', 'thanks, that is great', 0), utt('customer', 'hmm, I see', 5000), utt('customer', 'no, this is awful and useless', 10_000)]);
    expect(worse.summary.parties['customer']?.trend).toBe('worsening');
    const flat = await run([utt('customer', 'ok', 0), utt('customer', 'fine', 5000), utt('customer', 'ok', 10_000)]);
    expect(flat.summary.parties['customer']?.trend).toBe('stable');
  });

  it('says unsupported for languages without a lexicon (Chinese) and emits no measures', async () => {
    const { measures, summary } = await run([utt('customer', '太糟糕了', 0)], 'zh-CN');
    expect(measures).toEqual([]);
    expect(summary).toMatchObject({ supported: false, language: 'zh-CN', utterances: [], parties: {} });
    expect(sentimentSupported('en')).toBe(true);
    expect(sentimentSupported('english')).toBe(false);
  });
});
