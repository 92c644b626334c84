import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION, type AlertEvent } from '../../src/events/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { connectRedis, type RedisClient } from '../../src/publish/redis-connection.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { OwnRedis, freePort } from '../helpers/redis-server.js';

/**
 * A Redis that hangs longer than commandTimeoutMs: the client gives up on the writes, but Redis runs
 * them once it resumes. Every alert that reached the call's stream must also reach the global stream
 * and the pub/sub channel (before, the global writes were only issued after the per-call write
 * answered, so a timed-out per-call write lost them).
 */
describe('alerts written while Redis hangs', () => {
  const prefix = 'hung-alerts';
  const keys = new RedisKeys(prefix);
  let own: OwnRedis;
  let pid = 0;
  let client: RedisClient;
  let probe: Redis;
  let sub: Redis;

  beforeAll(async () => {
    own = new OwnRedis(await freePort());
    await own.start();
    probe = new Redis(own.url);
    sub = new Redis(own.url);
    pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    client = connectRedis({ url: own.url, cluster: false }, 'voc-test', 300);
  });
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    client?.disconnect();
    probe?.disconnect();
    sub?.disconnect();
    await own?.stop();
  });

  it('the global alert stream and pub/sub get every alert the per-call streams got', async () => {
    const metrics = new EngineMetrics({ defaults: false });
    const publisher = new RedisCallPublisher(client, { prefix, retentionMs: 60_000, alertStreamMaxLen: 10_000, maxPendingWrites: 10_000 }, metrics, createLogger('silent'), 3_600_000);
    const received: string[] = [];
    await sub.subscribe(keys.alertChannel());
    sub.on('message', (_channel, message) => received.push(message));

    const alert = (callId: string, n: number): AlertEvent => ({
      type: 'alert', v: EVENT_SCHEMA_VERSION, id: `${callId}/k${n}`, callId, kind: 'keyword', category: 'c', severity: 'high',
      party: 'customer', startMs: n, endMs: n + 1, raisedAt: new Date().toISOString(),
    });
    const writes: Array<Promise<void>> = [];
    // Some alerts land before the hang, most are written into it.
    for (let n = 0; n < 8; n++) writes.push(publisher.alert(alert('hung-a', n), 'r1'));
    await Promise.all(writes.splice(0));
    process.kill(pid, 'SIGSTOP');
    for (let n = 8; n < 64; n++) writes.push(publisher.alert(alert(n % 2 ? 'hung-a' : 'hung-b', n), 'r1'));
    await Promise.all(writes); // every write times out client-side (300 ms) while Redis is stopped
    const failures = (await metrics.redisPublishFailures.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(failures).toBeGreaterThan(0); // the hang really outlasted the command timeout
    process.kill(pid, 'SIGCONT');

    const perCall = async () => (await probe.xlen(keys.callAlerts('hung-a'))) + (await probe.xlen(keys.callAlerts('hung-b')));
    for (let i = 0; i < 100 && (await perCall()) < 64; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await perCall()).toBe(64);
    // The global writes were sent with the per-call ones, so Redis has them all once it resumes.
    for (let i = 0; i < 100 && received.length < 64; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await probe.xlen(keys.alertStream())).toBe(64);
    expect(received).toHaveLength(64);
  }, 180_000);
});
