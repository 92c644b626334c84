import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { expectValid, publishedSchema } from '../helpers/contracts.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { testRedis } from '../helpers/redis.js';
import { RecordingClient } from '../helpers/ws-client.js';

/** What a real call sends and writes matches the published JSON Schemas (docs/schemas/). */
describe('published contracts against a live call (real libvosk, real Redis)', () => {
  const live = useLiveService('contracts', { keywords: CALL_KEYWORDS });
  let sub: Redis;
  const published: Array<{ channel: string; message: Record<string, unknown> }> = [];

  beforeAll(async () => {
    sub = testRedis();
    await sub.subscribe(live.keys.alertChannel(), live.keys.callsChannel());
    sub.on('message', (channel, message) => published.push({ channel, message: JSON.parse(message) as Record<string, unknown> }));
  });
  afterAll(() => sub.disconnect());

  it('every /v1/stream message and Redis value validates', async () => {
    const { svc, redis, keys } = live;
    const callId = 'contracts-call-1';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const start = { type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], metadata: { queue: 'billing' } };
    expectValid(publishedSchema('stream/start'), start, 'start');
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send(start);
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    await client.waitFor((m) => m.type === 'summary');
    await client.closed;

    const schemaOf: Record<string, string> = {
      started: 'stream/started',
      transcript: 'events/transcript',
      alert: 'events/alert',
      alert_withdrawn: 'events/alert_withdrawn',
      warning: 'events/warning',
      summary: 'events/summary',
      error: 'events/error',
    };
    const types = new Set(client.messages.map((m) => m.type));
    expect([...types]).toEqual(expect.arrayContaining(['started', 'transcript', 'alert', 'summary']));
    for (const message of client.messages) {
      const name = schemaOf[message.type];
      expect(name, `a schema for ${message.type}`).toBeDefined();
      expectValid(publishedSchema(name!), message, message.type);
    }

    // Redis: call hash, summary, both alert streams, both pub/sub channels.
    expectValid(publishedSchema('redis/call-hash'), await redis.hgetall(keys.call(callId)), 'call hash');
    expectValid(publishedSchema('events/summary'), JSON.parse((await redis.get(keys.callSummary(callId)))!), 'stored summary');
    const entry = publishedSchema('redis/alert-stream-entry');
    const alert = publishedSchema('events/alert');
    const entries = [...(await redis.xrange(keys.callAlerts(callId), '-', '+')), ...(await redis.xrange(keys.alertStream(), '-', '+'))];
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const [, fields] of entries) {
      const object = Object.fromEntries([[fields[0], fields[1]]]);
      expectValid(entry, object, 'alert stream entry');
      expectValid(alert, JSON.parse(fields[1]!), 'alert stream event');
    }
    await new Promise((r) => setTimeout(r, 200));
    const lifecycle = published.filter((p) => p.channel === keys.callsChannel()).map((p) => p.message);
    // call_started first, call_ended last; tags applied during the call in between.
    const lifecycleTypes = lifecycle.map((m) => m.type);
    expect(lifecycleTypes[0]).toBe('call_started');
    expect(lifecycleTypes.at(-1)).toBe('call_ended');
    expect(lifecycleTypes.slice(1, -1).every((t) => t === 'call_tags')).toBe(true);
    expect(lifecycleTypes).toContain('call_tags');
    expectValid(publishedSchema('redis/call-started'), lifecycle[0], 'call_started');
    expectValid(publishedSchema('redis/call-ended'), lifecycle.at(-1), 'call_ended');
    for (const tags of lifecycle.slice(1, -1)) expectValid(publishedSchema('redis/call-tags'), tags, 'call_tags');
    const alerts = published.filter((p) => p.channel === keys.alertChannel()).map((p) => p.message);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expectValid(alert, a, 'published alert');
  });

  it('a rejected start gets an error event that validates', async () => {
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'x' });
    const error = await client.waitFor((m) => m.type === 'error');
    expectValid(publishedSchema('events/error'), error, 'error');
    await client.closed;
  });
});
