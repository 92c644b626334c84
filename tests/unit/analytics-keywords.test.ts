import { describe, expect, it } from 'vitest';
import { keywordCategorySchema, type KeywordCategory } from '../../src/config/schema.js';
import { createKeywordDetector, type KeywordSummary } from '../../src/analytics/keywords.js';
import { keywordOptionsSchema } from '../../src/analytics/options.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { alerts, collect, final, partial, section, streamsOf, tags, withdrawals } from '../helpers/transcripts.js';

const category = (c: Partial<KeywordCategory> & { name: string; phrases: string[] }): KeywordCategory => keywordCategorySchema.parse(c);
const churn = category({ name: 'churn', phrases: ['cancel my account', 'cancel', 'refund*'], party: 'customer', severity: 'high', tags: ['churn-risk'] });
const escalation = category({ name: 'escalation', phrases: ['supervisor', 'manager'] });

function run(events: TranscriptEvent[], categories: KeywordCategory[] = [churn, escalation], options = {}) {
  return collect(createKeywordDetector(categories, keywordOptionsSchema.parse(options))(streamsOf(events)));
}

describe('keyword detector', () => {
  it('alerts on a final with the matched words’ audio times, tags the call, counts in the summary', async () => {
    const out = await run([final('customer', 0, 'I want to cancel my account please', 1000)]);
    expect(alerts(out)).toEqual([
      {
        key: 'keyword/churn/customer/0/cancel my account/0',
        kind: 'keyword',
        category: 'churn',
        phrase: 'cancel my account',
        party: 'customer',
        severity: 'high',
        startMs: 2200, // "cancel" is word 3: 1000 + 3 * 400
        endMs: 3350, // "account" is word 5: 1000 + 5 * 400 + 350
        tags: ['churn-risk'],
        details: { text: 'cancel my account', utterance: 0 },
      },
    ]);
    expect(tags(out)).toEqual(['churn', 'churn-risk']);
    const summary = section(out, 'keywords') as KeywordSummary;
    expect(summary.categories.churn!.count).toBe(1);
    expect(summary.categories.escalation!.count).toBe(0);
    expect(summary.categories.churn!.occurrences[0]).toMatchObject({ phrase: 'cancel my account', startMs: 2200, endMs: 3350, party: 'customer' });
  });

  it('does not alert for another party, or for a word that only contains the phrase', async () => {
    const out = await run([final('agent', 0, 'you can cancel any time', 0), final('customer', 0, 'what is the cancellation fee', 3000)]);
    expect(alerts(out)).toEqual([]);
    expect(tags(out)).toEqual([]);
  });

  it('raises early from a timed partial; the final confirms it without a second alert', async () => {
    const out = await run([
      partial('customer', 3, 'I need a supervisor', 5000),
      partial('customer', 3, 'I need a supervisor now', 5000),
      final('customer', 3, 'I need a supervisor now', 5000),
    ]);
    const raised = alerts(out);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ key: 'keyword/escalation/customer/3/supervisor/0', tentative: true, startMs: 6200, endMs: 6550 });
    expect(withdrawals(out)).toEqual([]);
    expect((section(out, 'keywords') as KeywordSummary).categories.escalation!.count).toBe(1);
    expect(tags(out)).toEqual(['escalation']); // tags only once confirmed
  });

  it('withdraws a tentative occurrence the final does not confirm', async () => {
    const out = await run([partial('customer', 0, 'I want a refund', 0), final('customer', 0, 'I want a review', 0)]);
    expect(alerts(out)).toMatchObject([{ key: 'keyword/churn/customer/0/refund*/0', tentative: true }]);
    expect(withdrawals(out)).toEqual(['keyword/churn/customer/0/refund*/0']);
    expect(tags(out)).toEqual([]);
    expect((section(out, 'keywords') as KeywordSummary).categories.churn!.count).toBe(0);
  });

  it('waits for the final when a partial has no word timings', async () => {
    const out = await run([partial('customer', 0, 'get me a manager', 0, false), final('customer', 0, 'get me a manager', 0)]);
    const raised = alerts(out);
    expect(raised).toHaveLength(1);
    expect(raised[0]!.tentative).toBeUndefined();
    expect(raised[0]).toMatchObject({ startMs: 1200, endMs: 1550 });
  });

  it('counts each occurrence in an utterance once, with distinct keys', async () => {
    const out = await run([partial('customer', 1, 'cancel cancel', 0), final('customer', 1, 'cancel and cancel', 0)]);
    expect(alerts(out).map((a) => [a.key, a.tentative ?? false])).toEqual([
      ['keyword/churn/customer/1/cancel/0', true],
      ['keyword/churn/customer/1/cancel/1', true],
    ]);
    expect(withdrawals(out)).toEqual([]);
    expect((section(out, 'keywords') as KeywordSummary).categories.churn!.count).toBe(2);
  });

  it('matches CJK keywords as substrings of the spaced recognizer output', async () => {
    const cjk = category({ name: 'cancel-zh', phrases: ['取消账户'] });
    const out = await run([final('customer', 0, '我 要 取消 账户', 0), final('customer', 1, '我 要 退款', 5000)], [cjk]);
    expect(alerts(out)).toMatchObject([{ category: 'cancel-zh', phrase: '取消账户', startMs: 800, endMs: 1550 }]);
  });

  it('tags without alerting when alert is false; partials can be turned off', async () => {
    const quiet = category({ name: 'quiet', phrases: ['refund'], alert: false, tags: ['money'] });
    const out = await run([final('customer', 0, 'a refund', 0)], [quiet]);
    expect(alerts(out)).toEqual([]);
    expect(tags(out)).toEqual(['quiet', 'money']);
    const off = await run([partial('customer', 0, 'a manager', 0)], [escalation], { partials: false });
    expect(alerts(off)).toEqual([]);
  });

  it('withdraws tentative occurrences whose final never came', async () => {
    const out = await run([partial('customer', 0, 'a manager', 0)]);
    expect(alerts(out)).toHaveLength(1);
    expect(withdrawals(out)).toEqual(['keyword/escalation/customer/0/manager/0']);
  });
});
