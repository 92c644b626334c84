import { describe, expect, it } from 'vitest';
import { ruleOptionsSchema } from '../../src/analytics/options.js';
import { compileRuleSet, type RuleSetSnapshot } from '../../src/analytics/rules/compile.js';
import { CallRuleEngine } from '../../src/analytics/rules/evaluate.js';
import { readRuleSources } from '../../src/analytics/rules/loader.js';
import { scoreCall, type CategoryMatch, type ScorecardResult } from '../../src/analytics/scorecard.js';
import type { DetectorOutput } from '../../src/analytics/types.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { alerts, final, section } from '../helpers/transcripts.js';

const exampleRules = async (): Promise<RuleSetSnapshot> =>
  compileRuleSet(await readRuleSources(['lists', 'compliance', 'customer-experience', 'scorecard'].map((n) => `config/rules/${n}.yaml`)), 1);

function run(rules: RuleSetSnapshot, steps: Array<TranscriptEvent | { clockMs: number }>, durationMs: number): DetectorOutput[] {
  const e = new CallRuleEngine(rules, ruleOptionsSchema.parse({}), { enabled: true, passScore: 80 });
  const out = steps.flatMap((s) => ('type' in s ? e.onTranscript(s) : e.onAudioTime(s.clockMs)));
  return [...out, ...e.end(durationMs)];
}

const outcomes = (card: ScorecardResult) => Object.fromEntries(card.checks.map((c) => [c.name, c.outcome]));

describe('scoreCall', () => {
  const rules = compileRuleSet(
    [
      {
        file: 's.yaml',
        text: `
categories:
  - { name: greet, rules: [{ type: phrase, phrases: [hello] }] }
  - { name: details, rules: [{ type: phrase, phrases: [balance] }] }
  - { name: promise, rules: [{ type: phrase, phrases: [guaranteed] }] }
scorecard:
  checks:
    - { name: greeting, category: greet, weight: 1 }
    - { name: verified, category: greet, applicableIf: details, weight: 5 }
    - { name: no-promises, category: promise, expect: no_match, weight: 3 }
`,
      },
    ],
    1,
  );
  const match = (text: string): CategoryMatch => ({ evidence: [{ party: 'agent', text, startMs: 100, endMs: 500 }], startMs: 100, endMs: 500, relevance: 0.75 });

  it('weights applicable checks and carries evidence', () => {
    const card = scoreCall(rules.scorecard!, new Map([['greet', match('hello')], ['promise', match('guaranteed')]]), 80);
    expect(outcomes(card)).toEqual({ greeting: 'pass', verified: 'not_applicable', 'no-promises': 'fail' });
    expect(card).toMatchObject({ earnedWeight: 1, possibleWeight: 4, score: 25, passed: false });
    expect(card.checks[2]!.evidence).toEqual([{ party: 'agent', text: 'guaranteed', startMs: 100, endMs: 500 }]);
  });

  it('scores null when nothing applies, 100 when everything passes', () => {
    const all = scoreCall(rules.scorecard!, new Map([['greet', match('hello')], ['details', match('balance')]]), 80);
    expect(all).toMatchObject({ score: 100, passed: true });
    const onlyNa = compileRuleSet([{ file: 'n.yaml', text: 'categories: [{ name: x, rules: [{ type: phrase, phrases: [x] }] }]\nscorecard: { checks: [{ name: c, category: x, applicableIf: x }] }' }], 1);
    expect(scoreCall(onlyNa.scorecard!, new Map(), 80)).toMatchObject({ score: null, passed: null });
  });
});

describe('scorecard on a call (example config/rules)', () => {
  it('a good call passes every check, with evidence and times', async () => {
    const out = run(
      await exampleRules(),
      [
        final('agent', 0, 'thank you for calling acme this call may be recorded for quality purposes', 1000),
        final('agent', 1, 'can you confirm your date of birth', 8000),
        final('customer', 0, 'the first of may nineteen eighty', 11_000),
        final('agent', 2, 'thanks your balance is forty dollars', 15_000),
        final('agent', 3, 'is there anything else i can help you with', 52_000),
        final('customer', 1, 'no thanks bye', 57_000),
      ],
      60_000,
    );
    const card = section(out, 'scorecard') as ScorecardResult;
    expect(outcomes(card)).toEqual({
      greeting: 'pass',
      'recording-disclosure': 'pass',
      'identity-before-account-details': 'pass',
      'no-forbidden-promises': 'pass',
      'closing-question': 'pass',
    });
    expect(card.score).toBe(100);
    expect(card.checks[0]!.evidence).toEqual([{ party: 'agent', text: 'thank you for calling', startMs: 1000, endMs: 2550 }]);
    expect(card.checks[2]!.evidence.map((e) => e.text)).toEqual(['date of birth', 'your balance is']);
    expect(alerts(out)).toEqual([]);
  });

  it('a bad call fails checks, and alerts live while disclosure can still be given', async () => {
    const rules = await exampleRules();
    const e = new CallRuleEngine(rules, ruleOptionsSchema.parse({ decisionLagMs: 2000 }), { enabled: true, passScore: 80 });
    e.onTranscript(final('agent', 0, 'hi what do you need', 1000));
    expect(alerts(e.onAudioTime(31_000))).toMatchObject([{ key: 'compliance/greeting/deadline' }]); // 15 s + lag passed
    const atDeadline = e.onAudioTime(32_000);
    expect(alerts(atDeadline)).toEqual([
      {
        key: 'compliance/recording-disclosure/deadline',
        kind: 'compliance',
        category: 'recording-disclosure',
        severity: 'high',
        startMs: 0,
        endMs: 30_000,
        tags: ['compliance'],
        details: { check: 'recording-disclosure', category: 'recording-disclosure', deadlineMs: 30_000, reason: 'not met by its deadline' },
      },
    ]);
    const promise = e.onTranscript(final('agent', 1, 'your balance is zero and the refund is guaranteed', 33_000));
    expect(alerts(promise).map((a) => a.key).sort()).toEqual([
      'category/account-details-before-verification',
      'category/forbidden-promise',
      'compliance/no-forbidden-promises/violation',
    ]);
    e.onTranscript(final('agent', 2, 'this call is being recorded by the way', 40_000));
    const end = e.end(60_000);
    const card = section(end, 'scorecard') as ScorecardResult;
    expect(outcomes(card)).toEqual({
      greeting: 'fail',
      'recording-disclosure': 'pass', // late, but given (the live alert was the chance to fix it)
      'identity-before-account-details': 'fail',
      'no-forbidden-promises': 'fail',
      'closing-question': 'fail',
    });
    expect(card).toMatchObject({ earnedWeight: 3, possibleWeight: 10, score: 30, passed: false });
  });

  it('no deadline alert when the check is met in time; identity check not applicable without account details', async () => {
    const out = run(
      await exampleRules(),
      [final('agent', 0, 'good morning calls are recorded', 1000), { clockMs: 40_000 }],
      40_000,
    );
    expect(alerts(out)).toEqual([]);
    const card = section(out, 'scorecard') as ScorecardResult;
    expect(outcomes(card)['identity-before-account-details']).toBe('not_applicable');
  });
});

describe('live violation alerts of checks with applicableIf', () => {
  const rules = compileRuleSet(
    [
      {
        file: 'v.yaml',
        text: `
categories:
  - { name: promise, rules: [{ type: phrase, party: agent, phrases: [guaranteed] }] }
  - { name: sale, rules: [{ type: phrase, party: agent, phrases: [balance] }] }
scorecard:
  checks:
    - { name: no-promise-in-sales, category: promise, expect: no_match, applicableIf: sale }
`,
      },
    ],
    1,
  );

  it('alerts when the check becomes applicable after the forbidden phrase was said', () => {
    const out = run(rules, [final('agent', 0, 'guaranteed', 1000), final('agent', 1, 'balance', 3000)], 5000);
    const violations = alerts(out).filter((a) => a.kind === 'compliance' && a.category === 'no-promise-in-sales');
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ startMs: 1000 });
  });

  it('does not alert when the check never applies', () => {
    const out = run(rules, [final('agent', 0, 'guaranteed', 1000)], 5000);
    expect(alerts(out).filter((a) => a.kind === 'compliance')).toEqual([]);
  });
});
