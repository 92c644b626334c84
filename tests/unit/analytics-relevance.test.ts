import { describe, expect, it } from 'vitest';
import { ruleOptionsSchema } from '../../src/analytics/options.js';
import { compileRuleSet } from '../../src/analytics/rules/compile.js';
import { CallRuleEngine, type CategorySummary } from '../../src/analytics/rules/evaluate.js';
import { matchRelevance, orderTightness } from '../../src/analytics/rules/relevance.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { final, section } from '../helpers/transcripts.js';

/** `final` with the recognizer's confidence of every word set to `conf`. */
function said(party: string, utterance: number, text: string, startMs: number, conf: number): TranscriptEvent {
  const event = final(party, utterance, text, startMs);
  return { ...event, words: event.words.map((w) => ({ ...w, conf })) };
}

function summary(yaml: string, events: TranscriptEvent[], durationMs: number): CategorySummary['matched'] {
  const e = new CallRuleEngine(compileRuleSet([{ file: 't.yaml', text: yaml }], 1), ruleOptionsSchema.parse({}), { enabled: true, passScore: 80 });
  const out = [...events.flatMap((ev) => e.onTranscript(ev)), ...e.end(durationMs)];
  return (section(out, 'categories') as CategorySummary).matched;
}

describe('relevance formula (hand-computed)', () => {
  it('count × confidence × tightness', () => {
    expect(matchRelevance([])).toBe(0.5); // absences only: 1 - 0.5^1
    expect(matchRelevance([{}])).toBe(0.75); // one hit, no confidences
    expect(matchRelevance([{}, {}])).toBe(0.875);
    expect(matchRelevance([{ conf: 0.6 }])).toBe(0.45); // 0.75 × 0.6
    expect(matchRelevance([{ conf: 1, tightness: 0.5 }])).toBe(0.375); // 0.75 × 1 × 0.5
    expect(orderTightness(0)).toBe(1);
    expect(orderTightness(10_000)).toBe(0.75);
  });
});

describe('categories are listed by relevance, the stronger match first', () => {
  it('an adjacent, confident proximity match ranks above a distant, unsure one', () => {
    const yaml = `categories:
  - name: weak-cancel
    rules: [{ type: proximity, party: agent, phrases: [cancel], near: [account], withinWords: 4 }]
  - name: strong-cancel
    rules: [{ type: proximity, party: customer, phrases: [cancel], near: [account], withinWords: 4 }]
`;
    const matched = summary(
      yaml,
      [
        said('agent', 0, 'cancel the old savings account', 0, 0.6), // gap 3 of 4: tightness 1 - 0.5*3/4 = 0.625
        said('customer', 0, 'cancel account now', 3000, 0.95), // adjacent: tightness 1
      ],
      6000,
    );
    expect(matched.map((m) => m.name)).toEqual(['strong-cancel', 'weak-cancel']);
    // strong: 0.75 × 0.95 × 1 = 0.7125 (0.71249… in binary floating point, so 0.712); weak: 0.75 × 0.6 × 0.625 = 0.28125
    expect(matched.map((m) => m.relevance)).toEqual([0.712, 0.281]);
  });

  it('a phrase said three times ranks above one said once, and an absence-only match comes last', () => {
    const yaml = `categories:
  - name: said-once
    rules: [{ type: phrase, phrases: [refund] }]
  - name: said-often
    rules: [{ type: phrase, phrases: [supervisor] }]
  - name: never-threatened
    rules: [{ type: phrase, phrases: [lawyer], negate: true }]
`;
    const matched = summary(
      yaml,
      [said('customer', 0, 'supervisor refund', 0, 1), said('customer', 1, 'supervisor please supervisor', 2000, 1)],
      5000,
    );
    expect(matched.map((m) => [m.name, m.relevance])).toEqual([
      ['said-often', 0.938], // 1 - 0.5^4
      ['said-once', 0.75],
      ['never-threatened', 0.5],
    ]);
  });

  it('an ordering that follows at once ranks above one that follows much later', () => {
    const yaml = `categories:
  - name: late-verify
    rules: [{ type: order, before: { party: agent, phrases: [verify] }, after: { party: agent, phrases: [balance] } }]
  - name: prompt-verify
    rules: [{ type: order, before: { party: customer, phrases: [verify] }, after: { party: customer, phrases: [balance] } }]
`;
    const matched = summary(
      yaml,
      [
        said('agent', 0, 'verify', 0, 1), // ends 350; balance at 20 350: gap 20 000 ms -> 0.625
        said('customer', 0, 'verify balance', 1000, 1), // gap 50 ms -> 0.5 + 0.5 × 2^-0.005
        said('agent', 1, 'balance', 20_350, 1),
      ],
      25_000,
    );
    expect(matched.map((m) => m.name)).toEqual(['prompt-verify', 'late-verify']);
    // 2 hits: count 0.875; late: 0.875 × 0.625 = 0.546875
    expect(matched[1]!.relevance).toBe(0.547);
    expect(matched[0]!.relevance).toBeGreaterThan(0.87);
  });
});
