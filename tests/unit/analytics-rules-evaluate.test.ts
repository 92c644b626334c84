import { describe, expect, it } from 'vitest';
import { ruleOptionsSchema } from '../../src/analytics/options.js';
import { compileRuleSet } from '../../src/analytics/rules/compile.js';
import { CallRuleEngine, type CategorySummary } from '../../src/analytics/rules/evaluate.js';
import type { DetectorOutput, MeasureEvent } from '../../src/analytics/types.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { alerts, final, partial, section, tags, withdrawals } from '../helpers/transcripts.js';

type Input = TranscriptEvent | { measure: MeasureEvent } | { clockMs: number } | { endMs: number };

function engine(yaml: string, options: Record<string, unknown> = {}): CallRuleEngine {
  const rules = compileRuleSet([{ file: 'test.yaml', text: yaml }], 1);
  return new CallRuleEngine(rules, ruleOptionsSchema.parse({ decisionLagMs: 1000, ...options }), { enabled: true, passScore: 80 });
}

function feed(e: CallRuleEngine, inputs: Input[]): DetectorOutput[] {
  return inputs.flatMap((input) => {
    if ('type' in input) return e.onTranscript(input);
    if ('measure' in input) return e.onMeasure(input.measure);
    if ('clockMs' in input) return e.onAudioTime(input.clockMs);
    return e.end(input.endMs);
  });
}

const matched = (out: DetectorOutput[]) => (section(out, 'categories') as CategorySummary).matched.map((m) => m.name);
const category = (name: string, rules: string, extra = 'alert: true') => `categories:\n  - name: ${name}\n    ${extra}\n    rules:\n${rules}`;

describe('phrase rules', () => {
  const yaml = category('refund', '      - { type: phrase, party: customer, phrases: ["refund*"] }', 'alert: true\n    severity: high\n    tags: [churn]');

  it('fires as soon as the phrase is said, with the words as evidence', () => {
    const e = engine(yaml);
    const out = feed(e, [final('customer', 0, 'I want my money refunded', 2000)]);
    expect(alerts(out)).toEqual([
      {
        key: 'category/refund',
        kind: 'category',
        category: 'refund',
        severity: 'high',
        party: 'customer',
        startMs: 3600,
        endMs: 3950,
        tags: ['churn'],
        details: { relevance: 0.75, evidence: [{ party: 'customer', text: 'refunded', startMs: 3600, endMs: 3950 }] },
      },
    ]);
    expect(tags(out)).toEqual(['refund', 'churn']);
    const end = feed(e, [final('customer', 1, 'refund refund', 6000), { endMs: 10_000 }]);
    expect(alerts(end)).toEqual([]); // once per call
    expect(matched(end)).toEqual(['refund']);
  });

  it('does not fire for another party or a wildcard non-match', () => {
    const out = feed(engine(yaml), [final('agent', 0, 'we can refund you', 0), final('customer', 0, 'a prerefund fund', 2000), { endMs: 5000 }]);
    expect(alerts(out)).toEqual([]);
    expect(matched(out)).toEqual([]);
  });

  it('respects minCount', () => {
    const e = engine(category('repeat', '      - { type: phrase, phrases: [sorry], minCount: 2 }'));
    expect(alerts(feed(e, [final('agent', 0, 'sorry', 0)]))).toEqual([]);
    expect(alerts(feed(e, [final('agent', 1, 'so sorry', 1000)]))).toHaveLength(1);
  });
});

describe('windows', () => {
  it('counts only occurrences starting inside an absolute window', () => {
    const yaml = category('greeting', '      - { type: phrase, party: agent, phrases: ["thank you for calling"], window: { firstMs: 15000 } }');
    const late = feed(engine(yaml), [final('agent', 0, 'thank you for calling', 16_000), { endMs: 30_000 }]);
    expect(matched(late)).toEqual([]);
    const early = feed(engine(yaml), [final('agent', 0, 'thank you for calling', 14_000)]);
    expect(alerts(early)).toHaveLength(1);
    const range = feed(engine(category('mid', '      - { type: phrase, phrases: [hello], window: { startMs: 5000, endMs: 8000 } }')), [
      final('agent', 0, 'hello', 1000),
      final('agent', 1, 'hello', 9000),
      { endMs: 10_000 },
    ]);
    expect(matched(range)).toEqual([]);
  });

  it('decides windows relative to the call length only at the end', () => {
    const yaml = category('closing', '      - { type: phrase, party: agent, phrases: ["anything else"], window: { lastPercent: 30 } }');
    const e = engine(yaml);
    expect(alerts(feed(e, [final('agent', 0, 'anything else', 90_000), { clockMs: 95_000 }]))).toEqual([]); // length unknown yet
    const end = feed(e, [{ endMs: 100_000 }]);
    expect(alerts(end)).toMatchObject([{ key: 'category/closing', startMs: 90_000 }]);
    const tooEarly = feed(engine(yaml), [final('agent', 0, 'anything else', 50_000), { endMs: 100_000 }]);
    expect(matched(tooEarly)).toEqual([]);
    const last = feed(engine(category('bye', '      - { type: phrase, phrases: [bye], window: { lastMs: 5000 } }')), [final('agent', 0, 'bye', 7000), { endMs: 10_000 }]);
    expect(matched(last)).toEqual(['bye']);
  });
});

describe('absence (negate)', () => {
  const yaml = category('no-disclosure', '      - { type: phrase, party: agent, negate: true, phrases: ["recorded"], window: { firstMs: 30000 } }');

  it('is decided when the window closes (audio past it plus the decision lag), not before', () => {
    const e = engine(yaml);
    expect(alerts(feed(e, [final('agent', 0, 'hello there', 0), { clockMs: 30_500 }]))).toEqual([]);
    const out = feed(e, [{ clockMs: 31_000 }]);
    expect(alerts(out)).toMatchObject([{ key: 'category/no-disclosure', startMs: 0, endMs: 30_000, details: { evidence: [] } }]);
  });

  it('waits for an utterance that began inside the window to finish', () => {
    const e = engine(yaml);
    feed(e, [partial('agent', 0, 'this call', 28_000, false), { clockMs: 40_000 }]);
    expect(alerts(feed(e, [{ clockMs: 41_000 }]))).toEqual([]);
    const out = feed(e, [final('agent', 0, 'this call is recorded', 28_000), { clockMs: 42_000 }, { endMs: 50_000 }]);
    expect(alerts(out)).toEqual([]);
    expect(matched(out)).toEqual([]);
  });

  it('does not match when the phrase is present in the window', () => {
    const out = feed(engine(yaml), [final('agent', 0, 'this call is recorded', 3000), { clockMs: 60_000 }, { endMs: 60_000 }]);
    expect(alerts(out)).toEqual([]);
  });

  it('is decided at the end for a call shorter than the window', () => {
    const out = feed(engine(yaml), [final('customer', 0, 'recorded', 1000), { endMs: 10_000 }]);
    expect(matched(out)).toEqual(['no-disclosure']); // the customer saying it does not count
  });
});

describe('ordering rules', () => {
  const rules = `
lists:
  verify: [date of birth, postcode]
  details: [your balance is]
categories:
  - name: verified-first
    rules:
      - { type: order, before: { phrases: ["@verify"] }, after: { party: agent, phrases: ["@details"] } }
  - name: details-before-verification
    alert: true
    severity: critical
    rules:
      - { type: order, negate: true, before: { phrases: ["@verify"] }, after: { party: agent, phrases: ["@details"] } }
`;

  it('matches when before comes first', () => {
    const out = feed(engine(rules), [
      final('agent', 0, 'what is your date of birth', 1000),
      final('customer', 0, 'first of may', 4000),
      final('agent', 1, 'thanks your balance is ten', 7000),
      { endMs: 10_000 },
    ]);
    expect(matched(out)).toEqual(['verified-first']);
    expect(alerts(out)).toEqual([]);
  });

  it('fires the negated rule live, at the first "after", when the order is reversed', () => {
    const e = engine(rules);
    const live = feed(e, [final('agent', 0, 'your balance is ten', 1000)]);
    expect(alerts(live)).toMatchObject([{ key: 'category/details-before-verification', severity: 'critical', startMs: 1000, endMs: 2150 }]);
    const end = feed(e, [final('agent', 1, 'and your date of birth', 4000), { endMs: 8000 }]);
    expect(matched(end)).toEqual(['details-before-verification']);
  });

  it('matches neither way when "after" never occurs', () => {
    const out = feed(engine(rules), [final('agent', 0, 'what is your postcode', 1000), { endMs: 5000 }]);
    expect(matched(out)).toEqual([]);
  });

  it('waits while an earlier utterance of another party is still open', () => {
    const e = engine(rules);
    feed(e, [partial('customer', 0, 'my post', 500, false)]);
    expect(alerts(feed(e, [final('agent', 0, 'your balance is ten', 2000)]))).toEqual([]);
    const out = feed(e, [final('customer', 0, 'my postcode is', 500), { endMs: 6000 }]);
    expect(alerts(out)).toEqual([]);
    expect(matched(out)).toEqual(['verified-first']);
  });
});

describe('proximity and groups', () => {
  const churn = category(
    'churn',
    `      - type: any_of
        rules:
          - { type: proximity, party: customer, phrases: ["cancel*"], near: [account, subscription], withinWords: 3 }
          - { type: phrase, party: customer, phrases: [refund] }`,
  );

  it('fires on either branch of any_of', () => {
    expect(alerts(feed(engine(churn), [final('customer', 0, 'please cancel my whole account', 0)]))).toHaveLength(1);
    expect(alerts(feed(engine(churn), [final('customer', 0, 'i want a refund', 0)]))).toHaveLength(1);
  });

  it('does not fire when the words are too far apart', () => {
    const out = feed(engine(churn), [final('customer', 0, 'cancel the order not the old family account', 0), { endMs: 5000 }]);
    expect(matched(out)).toEqual([]);
  });

  it('all_of needs every branch; a negated group inverts it', () => {
    const both = category(
      'both',
      `      - type: all_of
        rules:
          - { type: phrase, phrases: [hello] }
          - { type: phrase, phrases: [goodbye] }`,
    );
    expect(matched(feed(engine(both), [final('agent', 0, 'hello', 0), { endMs: 1000 }]))).toEqual([]);
    expect(matched(feed(engine(both), [final('agent', 0, 'hello and goodbye', 0), { endMs: 2000 }]))).toEqual(['both']);
    const neither = category(
      'neither',
      `      - type: any_of
        negate: true
        rules:
          - { type: phrase, phrases: [hello] }
          - { type: phrase, phrases: [goodbye] }`,
    );
    expect(matched(feed(engine(neither), [final('agent', 0, 'good morning', 0), { endMs: 1000 }]))).toEqual(['neither']);
    expect(matched(feed(engine(neither), [final('agent', 0, 'goodbye', 0), { endMs: 1000 }]))).toEqual([]);
  });
});

describe('measure rules', () => {
  const angry = category(
    'angry',
    `      - { type: measure, measure: raised_tone, party: customer, minDurationMs: 2000 }
      - { type: measure, measure: sentiment, party: customer, max: -0.4 }`,
  );
  const m = (measure: MeasureEvent['measure'], startMs: number, endMs: number, value: number, party?: string, interruptedParty?: string): Input => ({
    measure: { measure, startMs, endMs, value, ...(party ? { party } : {}), ...(interruptedParty ? { interruptedParty } : {}) },
  });

  it('fires when every measure condition holds', () => {
    const e = engine(angry);
    expect(alerts(feed(e, [m('raised_tone', 1000, 4000, 0.8, 'customer')]))).toEqual([]);
    const out = feed(e, [m('sentiment', 1000, 4000, -0.7, 'customer')]);
    expect(alerts(out)).toMatchObject([{ key: 'category/angry', startMs: 1000, endMs: 4000, party: 'customer' }]);
  });

  it('does not fire below thresholds or for the wrong party', () => {
    const out = feed(engine(angry), [
      m('raised_tone', 1000, 2500, 0.8, 'customer'), // too short
      m('raised_tone', 1000, 5000, 0.8, 'agent'), // agent
      m('sentiment', 1000, 4000, -0.2, 'customer'), // not negative enough
      { endMs: 10_000 },
    ]);
    expect(matched(out)).toEqual([]);
  });

  it('counts interruptions of one party', () => {
    const yaml = category('interrupts', '      - { type: measure, measure: overtalk, party: agent, interruptedParty: customer, minCount: 2 }');
    const e = engine(yaml);
    expect(alerts(feed(e, [m('overtalk', 0, 500, 500, 'agent', 'customer'), m('overtalk', 1000, 1500, 500, 'customer', 'agent')]))).toEqual([]);
    expect(alerts(feed(e, [m('overtalk', 3000, 3400, 400, 'agent', 'customer')]))).toHaveLength(1);
  });
});

describe('partials', () => {
  const yaml = category('escalation', '      - { type: phrase, party: customer, phrases: [supervisor] }', 'alert: true\n    tags: [esc]');

  it('raise a tentative alert that the final confirms without repeating it', () => {
    const e = engine(yaml);
    const early = feed(e, [partial('customer', 0, 'get me a supervisor', 1000)]);
    expect(alerts(early)).toMatchObject([{ key: 'category/escalation', tentative: true, startMs: 2200 }]);
    expect(tags(early)).toEqual([]);
    const confirmed = feed(e, [final('customer', 0, 'get me a supervisor', 1000)]);
    expect(alerts(confirmed)).toEqual([]);
    expect(withdrawals(confirmed)).toEqual([]);
    expect(tags(confirmed)).toEqual(['escalation', 'esc']);
  });

  it('raise a tentative alert that a final without the phrase withdraws', () => {
    const e = engine(yaml);
    feed(e, [partial('customer', 0, 'get me a supervisor', 1000)]);
    expect(withdrawals(feed(e, [partial('customer', 0, 'get me a super', 1000)]))).toEqual([]); // partials do not withdraw
    const out = feed(e, [final('customer', 0, 'get me a super visa', 1000)]);
    expect(withdrawals(out)).toEqual(['category/escalation']);
    // It may still fire for real later.
    expect(alerts(feed(e, [final('customer', 1, 'supervisor now', 4000)]))).toMatchObject([{ key: 'category/escalation' }]);
  });

  it('withdraw at the next audio clock tick once a revised partial drops the phrase', () => {
    const e = engine(yaml);
    feed(e, [{ clockMs: 500 }, partial('customer', 0, 'get me a supervisor', 1000)]);
    expect(withdrawals(feed(e, [partial('customer', 0, 'get me a super', 1000)]))).toEqual([]);
    expect(withdrawals(feed(e, [{ clockMs: 3000 }]))).toEqual(['category/escalation']);
    expect(withdrawals(feed(e, [{ clockMs: 3200 }]))).toEqual([]); // once
  });

  it('never raise from a partial without word timings, or when partials are off', () => {
    expect(alerts(feed(engine(yaml), [partial('customer', 0, 'supervisor', 0, false)]))).toEqual([]);
    expect(alerts(feed(engine(yaml, { partials: false }), [partial('customer', 0, 'supervisor', 0)]))).toEqual([]);
  });

  it('are withdrawn when the call ends without their final', () => {
    const e = engine(yaml);
    feed(e, [partial('customer', 0, 'supervisor', 0)]);
    expect(withdrawals(feed(e, [{ endMs: 2000 }]))).toEqual(['category/escalation']);
  });
});
