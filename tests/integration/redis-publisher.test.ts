import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { EVENT_SCHEMA_VERSION, type AlertEvent, type CallSummary } from '../../src/events/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { connectRedis, type RedisClient } from '../../src/publish/redis-connection.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('RedisCallPublisher (real Redis)', () => {
  const prefix = uniquePrefix('publisher');
  const keys = new RedisKeys(prefix);
  let redis: Redis;
  let client: RedisClient;
  let publisher: RedisCallPublisher;
  const metrics = new EngineMetrics({ defaults: false });

  beforeAll(() => {
    redis = testRedis();
    client = connectRedis({ url: TEST_REDIS_URL, cluster: false });
    publisher = new RedisCallPublisher(client, { prefix, retentionMs: 60_000, alertStreamMaxLen: 100, maxPendingWrites: 100 }, metrics, createLogger('silent'), 3_600_000);
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
    client.disconnect();
  });

  it('writes call state, alerts (stream + pub/sub), tags and the summary with retention', async () => {
    const callId = 'call-1';
    const sub = testRedis();
    const received: string[] = [];
    await sub.subscribe(keys.alertChannel());
    sub.on('message', (_channel, message) => received.push(message));

    await publisher.callStarted(
      { callId, protocol: 'stream', format: { encoding: 'mulaw', sampleRate: 8000, channels: 2 }, parties: ['customer', 'agent'], language: 'en', metadata: { queue: 'billing' } },
      new Date('2026-01-01T00:00:00Z'),
      'r1',
    );
    expect(await redis.hget(keys.call(callId), 'state')).toBe('active');
    expect(await redis.pttl(keys.call(callId))).toBeGreaterThan(3_000_000);

    const alert: AlertEvent = {
      type: 'alert', v: EVENT_SCHEMA_VERSION, id: `${callId}/k1`, callId, kind: 'keyword', category: 'churn', severity: 'high',
      party: 'customer', phrase: 'cancel', startMs: 1000, endMs: 1400, raisedAt: new Date().toISOString(),
    };
    await publisher.alert(alert, 'r1');
    await publisher.tags(callId, ['churn', 'billing'], 'r1');

    const stream = await redis.xrange(keys.alertStream(), '-', '+');
    expect(stream).toHaveLength(1);
    expect(JSON.parse(stream[0]![1][1]!)).toEqual(alert);
    expect(await redis.xlen(keys.callAlerts(callId))).toBe(1);
    expect(await redis.hget(keys.call(callId), 'alertCount')).toBe('1');
    expect(await redis.hget(keys.call(callId), 'tagsCount')).toBe('2');

    const summary = { type: 'summary', v: 1, callId, endReason: 'stop', endedAt: new Date().toISOString(), durationMs: 5000, tags: ['churn', 'billing'], alertCount: 1 } as CallSummary;
    await publisher.callEnded(summary, 'r1');
    expect(JSON.parse((await redis.get(keys.callSummary(callId)))!)).toMatchObject({ callId, durationMs: 5000 });
    expect(await redis.hget(keys.call(callId), 'state')).toBe('ended');
    for (const key of [keys.call(callId), keys.callTags(callId), keys.callAlerts(callId), keys.callSummary(callId)]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(received.map((m) => JSON.parse(m).id)).toEqual([alert.id]);
    sub.disconnect();
  });

  it('counts failures instead of throwing when Redis rejects a write', async () => {
    const before = (await metrics.redisPublishFailures.get()).values.reduce((a, v) => a + v.value, 0);
    // A WRONGTYPE error: the tags key exists as a string.
    await redis.set(keys.callTags('call-2'), 'not-a-set');
    await expect(publisher.tags('call-2', ['x'], 'r2')).resolves.toBeUndefined();
    const after = (await metrics.redisPublishFailures.get()).values.reduce((a, v) => a + v.value, 0);
    expect(after).toBe(before + 1);
  });
});
