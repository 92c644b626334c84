import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION, type AlertEvent, type CallSummary, type TranscriptEvent } from '../../src/events/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { CrashRecovery } from '../../src/publish/crash-recovery.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { connectRedis, type RedisClient } from '../../src/publish/redis-connection.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { SummarySpool } from '../../src/publish/summary-spool.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, OwnRedis } from '../helpers/redis-server.js';

// The parts of crash recovery the CLI test cannot reach cheaply: a live process sharing an instance
// id, withdrawn alerts, repeated sweeps, and the spool's failure path and idempotent replay.

const log = createLogger('silent');
const START = { protocol: 'stream', format: { encoding: 'mulaw' as const, sampleRate: 8000, channels: 2 }, parties: ['customer', 'agent'], language: 'en', metadata: { queue: 'billing' } };

function alert(callId: string, id: string, at: number): AlertEvent {
  return { type: 'alert', v: EVENT_SCHEMA_VERSION, id, callId, kind: 'keyword', category: 'churn', severity: 'high', party: 'customer', phrase: 'cancel', startMs: at, endMs: at + 400, raisedAt: new Date().toISOString() };
}

function line(callId: string, text: string, startMs: number): TranscriptEvent {
  return { type: 'transcript', v: EVENT_SCHEMA_VERSION, callId, party: 'customer', final: true, text, words: [], startMs, endMs: startMs + 500, utterance: 0 };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('crash recovery against Redis', () => {
  const prefix = uniquePrefix('recovery');
  const keys = new RedisKeys(prefix);
  let redis: Redis;
  let client: RedisClient;
  beforeAll(() => {
    redis = testRedis();
    client = connectRedis({ url: TEST_REDIS_URL, cluster: false });
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
    client.disconnect();
  });

  it('a live process sharing the instance id is left alone; once its lease expires its calls are interrupted, once', async () => {
    const metrics = new EngineMetrics({ defaults: false });
    const deps = { redis: client, prefix, retentionMs: 60_000, recentCallsMax: 100, leaseMs: 1000, metrics, log };
    const dying = new CrashRecovery({ ...deps, instance: 'shared' });
    const publisher = new RedisCallPublisher(client, { prefix, retentionMs: 60_000, alertStreamMaxLen: 100, maxPendingWrites: 100, instance: 'shared', processCallsKey: dying.callsKey }, metrics, log, 3_600_000);
    await dying.tick(); // lease taken
    await publisher.callStarted({ ...START, callId: 'lost-1' }, new Date(Date.now() - 5000), 'r1');
    await publisher.alert(alert('lost-1', 'a-kept', 1000), 'r1');
    await publisher.alert(alert('lost-1', 'a-withdrawn', 2000), 'r1');
    await publisher.alertWithdrawn({ type: 'alert_withdrawn', v: 1, id: 'a-withdrawn', callId: 'lost-1', kind: 'keyword', category: 'churn', raisedAt: new Date().toISOString() }, 'r1');
    await publisher.transcript(line('lost-1', 'second line', 3000), 'r1');
    await publisher.transcript(line('lost-1', 'first line', 1000), 'r1');
    await publisher.tags('lost-1', ['churn'], 'r1');
    // A call that ended normally is no business of recovery.
    await publisher.callStarted({ ...START, callId: 'done-1' }, new Date(), 'r2');
    await publisher.callEnded({ type: 'summary', v: 1, callId: 'done-1', protocol: 'stream', endReason: 'stop', endedAt: new Date().toISOString(), durationMs: 1, tags: [], alertCount: 0 } as unknown as CallSummary, 'r2');
    expect(await redis.smembers(dying.callsKey)).toEqual(['lost-1~r1']);

    const sibling = new CrashRecovery({ ...deps, instance: 'shared' });
    const stranger = new CrashRecovery({ ...deps, instance: 'other' });
    expect(await sibling.tick()).toBe(0); // the lease is alive: a live process, not a dead one
    expect(await redis.hget(keys.call('lost-1'), 'state')).toBe('active');

    await dying.stop(false); // dies: stops renewing, leaves its lease to expire
    await until('the lease to expire', async () => (await redis.exists(keys.processLease('shared', dying.process))) === 0);
    expect(await stranger.tick()).toBe(0); // another instance never touches it
    expect(await redis.hget(keys.call('lost-1'), 'state')).toBe('active');

    expect(await sibling.tick()).toBe(1);
    const hash = await redis.hgetall(keys.call('lost-1'));
    expect(hash).toMatchObject({ state: 'interrupted', endReason: 'interrupted', cutShort: 'true', alertCount: '1', tagsCount: '1', instance: 'shared' });
    const summary = JSON.parse((await redis.get(keys.callSummary('lost-1')))!) as CallSummary;
    expect(summary).toMatchObject({ callId: 'lost-1', endReason: 'interrupted', cutShort: true, metadata: { queue: 'billing' }, tags: ['churn'], alertCount: 1, audio: {} });
    expect(summary.alerts.map((a) => a.id)).toEqual(['a-kept']);
    expect(summary.transcript.map((t) => t.text)).toEqual(['first line', 'second line']);
    // Ends at the dead process's last sign of life: after the start, not after the recovery.
    expect(Date.parse(summary.endedAt)).toBeGreaterThan(Date.parse(summary.startedAt));
    expect(Date.parse(summary.endedAt)).toBeLessThanOrEqual(Date.parse((summary.analytics.recovery as { rebuiltAt: string }).rebuiltAt));
    expect(summary.durationMs).toBe(Date.parse(summary.endedAt) - Date.parse(summary.startedAt));
    expect(await redis.pttl(keys.call('lost-1'))).toBeLessThanOrEqual(60_000);
    expect(await redis.hget(keys.call('done-1'), 'state')).toBe('ended');

    // The dead process is forgotten: a second sweep finds nothing, the record is not rewritten.
    expect(await sibling.tick()).toBe(0);
    expect(await redis.hexists(keys.instanceProcesses('shared'), dying.process)).toBe(0);
    expect(await redis.exists(dying.callsKey)).toBe(0);
    expect(await metrics.registry.getSingleMetricAsString('voc_calls_total')).toContain('voc_calls_total{protocol="stream",end_reason="interrupted"} 1');

    // A clean stop hands the lease back at once.
    await sibling.stop();
    await stranger.stop();
    expect(await redis.hlen(keys.instanceProcesses('shared'))).toBe(0);
  });

  it('replaying the spool is idempotent: a summary Redis holds is not written or announced again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voc-spool-replay-'));
    try {
      const metrics = new EngineMetrics({ defaults: false });
      const spool = new SummarySpool(dir, { maxFiles: 10, maxBytes: 1 << 20 });
      const publisher = new RedisCallPublisher(client, { prefix, retentionMs: 60_000, alertStreamMaxLen: 100, maxPendingWrites: 100 }, metrics, log, 3_600_000, undefined, spool);
      const summary = { type: 'summary', v: 1, callId: 'spooled-1', protocol: 'stream', endReason: 'shutdown', cutShort: true, endedAt: new Date().toISOString(), durationMs: 9, tags: ['x'], alertCount: 0 } as unknown as CallSummary;
      const ended: string[] = [];
      const sub = new Redis(TEST_REDIS_URL);
      await sub.subscribe(keys.callsChannel());
      sub.on('message', (_c: string, m: string) => ended.push(m));
      try {
        expect(await spool.save({ prefix, record: 'r9', summary })).toBe('saved');
        expect(await spool.save({ prefix: `${prefix}-other`, record: 'r9', summary })).toBe('saved');
        expect(await publisher.replaySpool()).toEqual({ replayed: 1, alreadyThere: 0, failed: 0 });
        expect(JSON.parse((await redis.get(keys.callSummary('spooled-1')))!)).toEqual(summary);
        expect(await redis.hgetall(keys.call('spooled-1'))).toMatchObject({ state: 'ended', endReason: 'shutdown', record: 'r9' });
        // The same file again (a second engine, or a crash before the delete): nothing changes.
        await spool.save({ prefix, record: 'r9', summary });
        expect(await publisher.replaySpool()).toEqual({ replayed: 0, alreadyThere: 1, failed: 0 });
        await until('call_ended', async () => ended.length >= 1);
        await new Promise((r) => setTimeout(r, 200));
        expect(ended.filter((m) => m.includes('"spooled-1"'))).toHaveLength(1);
        // Only this prefix's entry was taken; another deployment's stays.
        expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
        expect(await metrics.registry.getSingleMetricAsString('voc_summaries_replayed_total')).toContain('voc_summaries_replayed_total 1');
      } finally {
        sub.disconnect();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the spool is bounded: beyond maxFiles a summary is counted as lost, never written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voc-spool-full-'));
    try {
      const spool = new SummarySpool(dir, { maxFiles: 1, maxBytes: 1 << 20 });
      const summary = (callId: string) => ({ type: 'summary', v: 1, callId } as unknown as CallSummary);
      expect(await spool.save({ prefix, record: 'a', summary: summary('c1') })).toBe('saved');
      expect(await spool.save({ prefix, record: 'a', summary: summary('c1') })).toBe('saved'); // the same call replaces its file
      expect(await spool.save({ prefix, record: 'b', summary: summary('c2') })).toBe('full');
      expect(readdirSync(dir)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a summary write that times out (Redis hung mid-run)', () => {
  it('is spooled, and the spool is replayed when Redis answers again', async () => {
    const own = new OwnRedis(await freePort());
    await own.start();
    const dir = mkdtempSync(join(tmpdir(), 'voc-spool-timeout-'));
    const probe = new Redis(own.url);
    const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    const client = connectRedis({ url: own.url, cluster: false }, 'voc-test', 300);
    client.on('error', () => {});
    try {
      const prefix = uniquePrefix('spool-timeout');
      const keys = new RedisKeys(prefix);
      const metrics = new EngineMetrics({ defaults: false });
      const spool = new SummarySpool(dir, { maxFiles: 10, maxBytes: 1 << 20 });
      const publisher = new RedisCallPublisher(client, { prefix, retentionMs: 60_000, alertStreamMaxLen: 100, maxPendingWrites: 100 }, metrics, log, 3_600_000, undefined, spool);
      await publisher.callStarted({ ...START, callId: 'slow-1' }, new Date(), 'r1');
      process.kill(pid, 'SIGSTOP');
      const summary = { type: 'summary', v: 1, callId: 'slow-1', protocol: 'stream', endReason: 'stop', cutShort: false, endedAt: new Date().toISOString(), durationMs: 9, tags: [], alertCount: 0 } as unknown as CallSummary;
      await publisher.callEnded(summary, 'r1'); // fails after commandTimeout (300 ms)
      expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
      expect(await metrics.registry.getSingleMetricAsString('voc_summaries_spooled_total')).toContain('voc_summaries_spooled_total 1');

      process.kill(pid, 'SIGCONT');
      // The timed-out write still ran when Redis resumed: the replay finds it there and only removes the file.
      await until('redis back', async () => (await probe.ping().catch(() => '')) === 'PONG');
      const result = await publisher.replaySpool();
      expect(result.replayed + result.alreadyThere).toBe(1);
      expect(result.failed).toBe(0);
      expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([]);
      expect(await probe.hget(keys.call('slow-1'), 'state')).toBe('ended');
      expect(JSON.parse((await probe.get(keys.callSummary('slow-1')))!)).toEqual(summary);
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
      probe.disconnect();
      client.disconnect();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
