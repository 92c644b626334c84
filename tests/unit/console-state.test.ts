import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertEvent, TranscriptEvent } from '../../src/events/schema.js';
import { parseWatch } from '../../src/console/live-feed.js';
import { compareStreamIds, ConsoleState } from '../../src/console/web/state.js';
import type { BoardCall, CallDetail } from '../../src/console/wire.js';

/** The page renders in animation frames; here a timer stands in. */
const newState = () => new ConsoleState((render, delayMs) => setTimeout(render, delayMs));

const line = (party: string, utterance: number, callId = 'c1'): TranscriptEvent => ({
  type: 'transcript',
  v: 1,
  callId,
  party,
  final: true,
  text: `line ${utterance}`,
  words: [],
  startMs: utterance * 1000,
  endMs: utterance * 1000 + 500,
  utterance,
});

const call = (callId: string): BoardCall => ({ callId, state: 'active', protocol: 'stream', parties: ['customer', 'agent'], startedAt: '2026-01-01T00:00:00.000Z', alertCount: 0, tags: [], raisedTone: false });

const alert = (callId: string, key: string, over: Partial<AlertEvent> = {}): AlertEvent => ({
  type: 'alert',
  v: 1,
  id: `${callId}/${key}`,
  callId,
  kind: 'keyword',
  category: 'churn-risk',
  severity: 'high',
  party: 'customer',
  phrase: 'cancel',
  startMs: 1000,
  endMs: 1500,
  raisedAt: '2026-01-01T00:00:01.000Z',
  ...over,
});

const detail = (callId: string, transcript: TranscriptEvent[]): CallDetail => ({ call: call(callId), transcript, alerts: [], acks: [] });

describe('console page state', () => {
  it('orders stream ids numerically (ms, then sequence), as BigInt comparison does', () => {
    const id = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 10n ** 6n }));
    fc.assert(
      fc.property(id, id, ([am, as], [bm, bs]) => {
        const expected = am === bm ? Math.sign(Number(as - bs)) : Math.sign(Number(am - bm));
        expect(Math.sign(compareStreamIds(`${am}-${as}`, `${bm}-${bs}`))).toBe(expected);
      }),
    );
    expect(compareStreamIds('0-0', '1700000000000-0')).toBeLessThan(0);
    expect(compareStreamIds('1700000000000-10', '1700000000000-9')).toBeGreaterThan(0);
  });

  it('keeps the lines of the watched call that arrive live before its detail loads, once each', () => {
    const state = newState();
    state.watch('c1');
    // Arrive on the feed before the HTTP load answers: one also in the load, one newer; another call's line is not kept.
    state.apply([
      { type: 'transcript', event: line('customer', 2) },
      { type: 'transcript', event: line('agent', 3) },
      { type: 'transcript', event: line('agent', 9, 'c2') },
    ]);
    state.setDetail(detail('c1', [line('agent', 1), line('customer', 2)]));
    expect(state.detail?.transcript.map((l) => `${l.party}:${l.utterance}`)).toEqual(['agent:1', 'customer:2', 'agent:3']);
    // A line the feed brings again (a reload overlapping the feed) is not doubled.
    state.apply([{ type: 'transcript', event: line('agent', 3) }, { type: 'transcript', event: line('customer', 4) }]);
    expect(state.detail?.transcript).toHaveLength(4);
    // A reload that read Redis before the last line: the line stays.
    state.setDetail(detail('c1', [line('agent', 1), line('customer', 2), line('agent', 3)]));
    expect(state.detail?.transcript.map((l) => l.utterance)).toEqual([1, 2, 3, 4]);
    // Another call: nothing of the first is kept.
    state.watch('c2');
    expect(state.detail).toBeUndefined();
    state.setDetail(detail('c2', []));
    expect(state.detail?.transcript).toEqual([]);
  });

  it('replaces a board row when its call changes and bumps only the versions of what changed', () => {
    const state = newState();
    state.setCalls([call('c1'), call('c2')]);
    const before = { c1: state.calls.get('c1'), c2: state.calls.get('c2'), calls: state.callsVersion, alerts: state.alertsVersion, detail: state.detailVersion };
    state.apply([{ type: 'alert', entry: { streamId: '1700000000000-0', event: alert('c1', 'k1', { severity: 'critical', kind: 'raised_tone', tags: ['angry'] }) } }]);
    const c1 = state.calls.get('c1')!;
    expect(c1).not.toBe(before.c1);
    expect(c1).toMatchObject({ alertCount: 1, maxSeverity: 'critical', raisedTone: true, tags: ['angry'] });
    expect(before.c1).toMatchObject({ alertCount: 0, tags: [] });
    expect(state.calls.get('c2')).toBe(before.c2);
    expect(state.callsVersion).toBeGreaterThan(before.calls);
    expect(state.alertsVersion).toBeGreaterThan(before.alerts);
    expect(state.detailVersion).toBe(before.detail);
    // A transcript line of a call nobody watches changes nothing.
    const versions = [state.callsVersion, state.alertsVersion, state.detailVersion];
    state.apply([{ type: 'transcript', event: line('agent', 1) }]);
    expect([state.callsVersion, state.alertsVersion, state.detailVersion]).toEqual(versions);
  });

  it('keeps the alert list newest first whatever the arrival order', () => {
    const state = newState();
    const ids = ['1700000000000-1', '1700000000001-0', '1699999999999-5', '1700000000000-0', '1700000000000-10'];
    state.addAlerts(
      ids.map((streamId, i) => ({ streamId, event: alert('c1', `k${i}`) })),
      [],
    );
    expect(state.alertList().map((a) => a.streamId)).toEqual(['1700000000001-0', '1700000000000-10', '1700000000000-1', '1700000000000-0', '1699999999999-5']);
    expect(state.lastAlertId).toBe('1700000000001-0');
  });

  it('accepts a watch request for a valid call id or none, and nothing else', () => {
    expect(parseWatch('{"type":"watch","callId":"c-1"}')).toEqual({ type: 'watch', callId: 'c-1' });
    expect(parseWatch('{"type":"watch"}')).toEqual({ type: 'watch' });
    expect(parseWatch('{"type":"watch","callId":"bad id with spaces"}')).toBeUndefined();
    expect(parseWatch('{"type":"other"}')).toBeUndefined();
    expect(parseWatch('not json')).toBeUndefined();
    expect(parseWatch('null')).toBeUndefined();
  });
});
