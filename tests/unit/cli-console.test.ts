import { describe, expect, it } from 'vitest';
import { parseEntry } from '../../src/cli/alert-feed.js';
import { AlertFilter } from '../../src/cli/alert-filter.js';
import { formatAlert, formatOffset, formatWithdrawn } from '../../src/cli/format.js';
import { Pacer } from '../../src/cli/replay/pacer.js';
import type { AlertStreamEvent } from '../../src/events/alert-wire.js';

const alert = (over: Partial<Extract<AlertStreamEvent, { type: 'alert' }>> = {}): AlertStreamEvent => ({
  type: 'alert',
  v: 1,
  id: 'c1/k1',
  callId: 'c1',
  kind: 'keyword',
  category: 'churn-risk',
  severity: 'high',
  party: 'customer',
  phrase: 'cancel account',
  startMs: 3000,
  endMs: 4350,
  raisedAt: '2025-01-01T00:00:00.000Z',
  ...over,
});
const withdrawn = (id: string, category = 'churn-risk'): AlertStreamEvent => ({
  type: 'alert_withdrawn',
  v: 1,
  id,
  callId: 'c1',
  kind: 'keyword',
  category,
  raisedAt: '2025-01-01T00:00:01.000Z',
});

describe('alert console lines', () => {
  it('formats call offsets as [h:]mm:ss.mmm', () => {
    expect(formatOffset(0)).toBe('00:00.000');
    expect(formatOffset(4350)).toBe('00:04.350');
    expect(formatOffset(3_723_004)).toBe('1:02:03.004');
  });

  it('shows time, severity, category, call, party, phrase and the offsets of an alert', () => {
    const line = formatAlert(alert({ tentative: true }) as Extract<AlertStreamEvent, { type: 'alert' }>, { time: true });
    expect(line).toBe('2025-01-01T00:00:00.000Z  HIGH      churn-risk  call=c1  party=customer  "cancel account"  00:03.000-00:04.350  (keyword, tentative)');
    expect(formatWithdrawn(withdrawn('c1/k1') as Extract<AlertStreamEvent, { type: 'alert_withdrawn' }>)).toMatch(/^WITHDRAWN {2}churn-risk {2}call=c1 {2}id=c1\/k1/);
  });

  it('validates stream entries and says what is wrong with a bad one', () => {
    expect(parseEntry(['1-0', ['event', JSON.stringify(alert())]])).toMatchObject({ id: '1-0', event: { category: 'churn-risk' } });
    expect(parseEntry(['2-0', ['event', '{nope']])).toEqual({ id: '2-0', invalid: 'event is not JSON' });
    expect(parseEntry(['3-0', ['event', JSON.stringify({ ...alert(), severity: 'urgent' })]])).toMatchObject({ invalid: expect.stringContaining('severity') });
    expect(parseEntry(['4-0', ['other', 'x']])).toEqual({ id: '4-0', invalid: 'no "event" field' });
  });
});

describe('alert filter', () => {
  it('filters by category, call and minimum severity', () => {
    const f = new AlertFilter({ categories: ['churn-risk'], minSeverity: 'medium', callId: 'c1' });
    expect(f.accepts(alert())).toBe(true);
    expect(f.accepts(alert({ severity: 'low' }))).toBe(false);
    expect(f.accepts(alert({ severity: 'critical' }))).toBe(true);
    expect(f.accepts(alert({ category: 'escalation' }))).toBe(false);
    expect(f.accepts(alert({ callId: 'c2' }))).toBe(false);
  });

  it('with a severity filter, shows a withdrawal only for an alert it showed', () => {
    const f = new AlertFilter({ categories: [], minSeverity: 'high' });
    expect(f.accepts(alert({ id: 'c1/a', severity: 'high' }))).toBe(true);
    expect(f.accepts(alert({ id: 'c1/b', severity: 'low' }))).toBe(false);
    expect(f.accepts(withdrawn('c1/a'))).toBe(true);
    expect(f.accepts(withdrawn('c1/b'))).toBe(false);
    expect(new AlertFilter({ categories: [] }).accepts(withdrawn('c1/z'))).toBe(true);
  });
});

describe('replay pacing', () => {
  it('at N times real time, waits by the audio clock', async () => {
    let now = 1000;
    const sleeps: number[] = [];
    const pacer = new Pacer({ kind: 'speed', factor: 2 }, () => 0, async (ms) => void (sleeps.push(ms), (now += ms)), () => now);
    await pacer.before(0);
    await pacer.before(100); // due at +50 ms
    await pacer.before(200); // due at +100 ms
    expect(sleeps).toEqual([50, 50]);
  });

  it('as fast as possible, pauses while the recognizer backlog is over the limit and resumes at half of it', async () => {
    let backlog = 5000;
    let polls = 0;
    const pacer = new Pacer({ kind: 'asap', maxBacklogMs: 4000 }, () => backlog, async () => {
      polls++;
      backlog -= 1000;
    });
    await pacer.before(0);
    expect(backlog).toBe(2000);
    expect(polls).toBe(3);
    await pacer.before(100); // under the limit: no wait
    expect(polls).toBe(3);
  });
});
