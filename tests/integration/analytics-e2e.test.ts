import { describe, expect, it } from 'vitest';
import type { CheckOutcome, ScorecardResult } from '../../src/analytics/scorecard.js';
import type { TalkSummary } from '../../src/analytics/talk-activity.js';
import type { EmotionCurve } from '../../src/analytics/emotion-curve.js';
import type { CategorySummary } from '../../src/analytics/rules/evaluate.js';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { useRulesFile } from '../helpers/rules-file.js';
import { RecordingClient, type ServerMessage } from '../helpers/ws-client.js';

// Rules written with the tiny model's tone words (hello, recorded, verify, cancel, account, refund,
// supervisor, guaranteed, thanks, balance, anything, one..seven).
const RULES = `
lists:
  promises: [guaranteed]
categories:
  - name: greeting
    rules: [{ type: phrase, party: agent, phrases: [hello], window: { firstMs: 5000 } }]
  - name: disclosure
    rules: [{ type: phrase, party: agent, phrases: ["record*"] }]
  - name: churn-risk
    severity: high
    alert: true
    tags: [churn]
    rules:
      - { type: proximity, party: customer, phrases: ["cancel*"], near: [account], withinWords: 2 }
  - name: account-details
    rules: [{ type: phrase, party: agent, phrases: [balance] }]
  - name: verified-first
    rules: [{ type: order, before: { party: agent, phrases: [verify] }, after: { party: agent, phrases: [balance] } }]
  - name: promise
    rules: [{ type: phrase, party: agent, phrases: ["@promises"] }]
  - name: closing
    rules: [{ type: phrase, party: agent, phrases: ["anything"], window: { lastPercent: 30 } }]
  - name: never-said-supervisor
    rules: [{ type: phrase, phrases: [supervisor], negate: true }]
scorecard:
  name: e2e-qa
  checks:
    - { name: greeting, category: greeting, weight: 1 }
    - { name: disclosure, category: disclosure, weight: 3, deadlineMs: 4000, severity: high }
    - { name: identity-first, category: verified-first, applicableIf: account-details, weight: 3 }
    - { name: no-promises, category: promise, expect: no_match, weight: 2 }
    - { name: closing, category: closing, weight: 1 }
`;

describe('analytics end to end: rules, scorecard, measures and redaction on a live call', () => {
  const rulesFile = useRulesFile('voc-e2e-rules-', RULES);
  const live = useLiveService('analytics-e2e', () => ({
    analytics: {
      rulesFiles: [rulesFile.path],
      measures: { overtalk: { minMs: 300 }, silence: { alertMinMs: 4000, measureMinMs: 2000 } },
    },
  }));

  it('raises category and live compliance alerts, scores the call, and summarizes measures with redacted transcripts', async () => {
    const { svc, redis, keys } = live;
    const callId = 'analytics-e2e-1';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello' },
        { party: 'customer', atMs: 2000, text: 'cancel account refund' }, // 2000-3500
        { party: 'agent', atMs: 2700, text: 'verify thanks' }, // talks over the customer 2700-3500
        { party: 'agent', atMs: 6000, text: 'balance' },
        { party: 'customer', atMs: 7500, text: 'one two three four five six seven' }, // a card number
        { party: 'agent', atMs: 12_000, text: 'recorded guaranteed' }, // disclosure too late; a forbidden promise
        // 12 950 - 20 000: dead air
        { party: 'agent', atMs: 20_000, text: 'anything thanks' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: 23_000 },
    );
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
    await client.waitFor((m) => m.type === 'started');
    // Paced at 10x real time, so "live" alerts arrive while the call is still streaming.
    const sent = client.sendAudio(frames(call, 8000, 20), 5, 10);
    const disclosureAlert = await client.waitFor((m) => m.type === 'alert' && m.kind === 'compliance' && m.category === 'disclosure', 30_000);
    const summaryBeforeAlert = client.messages.some((m) => m.type === 'summary');
    expect(summaryBeforeAlert).toBe(false);
    await sent;
    client.send({ type: 'stop' });
    const summary = (await client.waitFor((m) => m.type === 'summary', 30_000)) as unknown as CallSummary;

    // Live alerts: the category alert and two compliance alerts (deadline missed, forbidden promise).
    const alerts = client.ofType('alert');
    const byCategory = (kind: string, category: string): ServerMessage[] => alerts.filter((a) => a.kind === kind && a.category === category);
    expect(byCategory('category', 'churn-risk')).toHaveLength(1);
    expect(byCategory('category', 'churn-risk')[0]).toMatchObject({ severity: 'high', party: 'customer' });
    expect(disclosureAlert.startMs as number).toBeLessThan(12_000); // raised before the agent finally said it
    expect(byCategory('compliance', 'promise').length + byCategory('compliance', 'no-promises').length).toBeGreaterThanOrEqual(1);

    // Categories: matched ones with evidence; the absence rule matched at the end.
    const categories = summary.analytics.categories as CategorySummary;
    const matched = Object.fromEntries(categories.matched.map((c) => [c.name, c]));
    expect(Object.keys(matched).sort()).toEqual(
      ['account-details', 'churn-risk', 'closing', 'disclosure', 'greeting', 'never-said-supervisor', 'promise', 'verified-first'].sort(),
    );
    expect(matched['churn-risk']!.evidence[0]).toMatchObject({ party: 'customer', text: 'cancel account' });
    expect(Math.abs(matched['churn-risk']!.evidence[0]!.startMs - 2000)).toBeLessThanOrEqual(100);

    // Scorecard: outcomes with evidence and the weighted score.
    const scorecard = summary.analytics.scorecard as ScorecardResult;
    const check = (name: string): CheckOutcome => scorecard.checks.find((c) => c.name === name)!;
    expect(check('greeting')).toMatchObject({ outcome: 'pass' });
    expect(check('greeting').evidence[0]).toMatchObject({ party: 'agent', text: 'hello' });
    expect(check('disclosure').outcome).toBe('pass');
    expect(check('identity-first').outcome).toBe('pass');
    expect(check('no-promises')).toMatchObject({ outcome: 'fail' });
    expect(check('no-promises').evidence[0]).toMatchObject({ text: 'guaranteed' });
    expect(check('closing').outcome).toBe('pass');
    expect(scorecard).toMatchObject({ earnedWeight: 8, possibleWeight: 10, score: 80 });

    // Measures: dead air and who talked over whom.
    const talk = summary.analytics.talk as TalkSummary;
    expect(talk.silence.longestMs).toBeGreaterThan(5000);
    const longest = talk.silence.spans.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
    expect(Math.abs(longest.startMs - 12_950)).toBeLessThanOrEqual(400);
    expect(talk.overtalk.count).toBeGreaterThanOrEqual(1);
    expect(talk.overtalk.whoInterruptedWhom.agent?.customer).toBeGreaterThanOrEqual(1);
    expect(alerts.some((a) => a.kind === 'silence')).toBe(true);

    // The emotion curve: a 1-5 score per stage.
    const curve = summary.analytics.emotionCurve as EmotionCurve;
    expect(curve.stages.map((s) => s.name)).toEqual(['opening', 'middle', 'closing']);
    for (const stage of curve.stages) if (stage.score !== null) expect(stage.score).toBeGreaterThanOrEqual(1);
    expect(curve.stages.some((s) => s.score !== null && s.score <= 5)).toBe(true);

    // Redaction: the card number never leaves the process, on the socket or in Redis.
    const cardLine = summary.transcript.find((t) => t.party === 'customer' && t.startMs > 7000 && t.startMs < 8000)!;
    expect(cardLine.text).not.toMatch(/one|two|three|four|five|six|seven/);
    expect(cardLine.text).toContain('[redacted]');
    expect(cardLine.words.every((w) => w.word === '[redacted]')).toBe(true);
    const everyTranscript = client.ofType('transcript').map((t) => t.text as string).join(' ');
    expect(everyTranscript).not.toMatch(/four five six/);
    const stored = JSON.parse((await redis.get(keys.callSummary(callId)))!) as CallSummary;
    expect(JSON.stringify(stored.transcript)).not.toMatch(/four five six/);
    expect(stored.analytics.scorecard).toEqual(scorecard);
  });
});
