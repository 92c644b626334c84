import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { onlyAlert } from '../helpers/alerts.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { testRedis } from '../helpers/redis.js';
import { RecordingClient } from '../helpers/ws-client.js';

describe('a live two-party call over /v1/stream (real libvosk, real Redis)', () => {
  const live = useLiveService('stream-e2e', { keywords: CALL_KEYWORDS });
  let sub: Redis;
  const pubsub: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    sub = testRedis();
    await sub.subscribe(live.keys.alertChannel());
    sub.on('message', (_c, message) => pubsub.push(JSON.parse(message) as Record<string, unknown>));
  });
  afterAll(() => sub.disconnect());

  it('streams transcripts, raises the keyword alert once with audio timing, and writes tags and summary', async () => {
    const { svc, redis, keys } = live;
    const callId = 'e2e-call-1';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
        { party: 'agent', atMs: 6500, text: 'verify' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], language: 'en', metadata: { queue: 'billing' } });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary');
    const closed = await client.closed;
    expect(closed.code).toBe(1000);

    // Transcripts: partial and final for each party.
    const transcripts = client.ofType('transcript');
    for (const party of ['customer', 'agent']) {
      expect(transcripts.some((t) => t.party === party && t.final === false)).toBe(true);
      expect(transcripts.some((t) => t.party === party && t.final === true)).toBe(true);
    }
    const finals = transcripts.filter((t) => t.final).map((t) => `${t.party}:${t.text}`);
    expect(finals).toContain('customer:cancel account refund');
    expect(finals).toContain('agent:hello recorded');

    // The keyword alert: once on the socket, once on the stream, once on pub/sub, with the tone's timing.
    const alert = onlyAlert(client.ofType('alert'), 'churn-risk');
    const cancel = call.words.find((w) => w.word === 'cancel')!;
    const account = call.words.find((w) => w.word === 'account')!;
    expect(alert).toMatchObject({ callId, party: 'customer', phrase: 'cancel account', kind: 'keyword', severity: 'high' });
    expect(Math.abs((alert.startMs as number) - cancel.startMs)).toBeLessThanOrEqual(100);
    expect(Math.abs((alert.endMs as number) - account.endMs)).toBeLessThanOrEqual(100);

    const stream = await redis.xrange(keys.alertStream(), '-', '+');
    const streamed = stream.map(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>).filter((e) => e.category === 'churn-risk');
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toMatchObject({ id: alert.id, callId, party: 'customer', phrase: 'cancel account', startMs: alert.startMs, endMs: alert.endMs });
    await new Promise((r) => setTimeout(r, 200));
    expect(pubsub.filter((e) => e.category === 'churn-risk' && e.type === 'alert')).toHaveLength(1);

    // Tags, call state and summary in Redis.
    expect((await redis.smembers(keys.callTags(callId))).sort()).toEqual(['churn', 'churn-risk']);
    expect(await redis.hgetall(keys.call(callId))).toMatchObject({ state: 'ended', endReason: 'stop', protocol: 'stream', alertCount: '1' });
    const stored = JSON.parse((await redis.get(keys.callSummary(callId)))!) as Record<string, unknown>;
    expect(stored).toMatchObject({ type: 'summary', callId, endReason: 'stop', alertCount: 1, tags: ['churn', 'churn-risk'] });
    expect(stored).toEqual(summary);
    expect(Math.abs((stored.durationMs as number) - call.durationMs)).toBeLessThan(50);

    // Metrics count the call.
    const metrics = await fetchMetrics(svc.httpUrl);
    expect(metrics).toMatch(/voc_calls_total\{protocol="stream",end_reason="stop"\} 1/);
    expect(metrics).toMatch(/voc_alerts_total\{kind="keyword",severity="high"\} 1/);
    expect(metrics).toMatch(/voc_audio_received_seconds_total\{protocol="stream"\} \d+/);
  });
});
