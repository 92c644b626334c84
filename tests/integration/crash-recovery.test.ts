import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/events/schema.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { cliEnv, startCli, writeYaml, type CliProcess } from '../helpers/cli.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, OwnRedis } from '../helpers/redis-server.js';
import { tinyModelDir } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// Crash recovery end to end, with `voc serve` as operators run it: a process killed mid-call, and a
// shutdown while Redis hangs (docs/operations.md, "Crash recovery").

let dir: string;
let modelDir: string;
const procs: CliProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-crash-recovery-'));
  modelDir = tinyModelDir();
});
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const LEASE_MS = 1500;

function serveConfig(name: string, over: { redisUrl?: string; prefix: string; spoolDir: string; commandTimeoutMs?: number }): string {
  return writeYaml(dir, `${name}.yaml`, {
    server: { port: 0, host: '127.0.0.1', instanceLeaseMs: LEASE_MS },
    grpc: { enabled: false },
    redis: { url: over.redisUrl ?? TEST_REDIS_URL, prefix: over.prefix, healthIntervalMs: 200, spool: { dir: over.spoolDir }, ...(over.commandTimeoutMs ? { commandTimeoutMs: over.commandTimeoutMs } : {}) },
    model: { path: modelDir, autoDownload: false },
    asr: { workers: 1, capacityProbeMs: 0 },
    shutdown: { drainTimeoutMs: 500, flushTimeoutMs: 1000 },
    keywords: [{ name: 'churn-risk', phrases: ['cancel account'], party: 'customer', severity: 'high' }],
    logging: { level: 'info' },
  });
}

async function serve(config: string, instanceId: string): Promise<{ proc: CliProcess; base: string; ws: string }> {
  const proc = startCli(['serve'], { env: cliEnv({ VOC_CONFIG: config, VOC_INSTANCE_ID: instanceId }) });
  procs.push(proc);
  const [, port] = await proc.waitFor('stdout', /"httpPort":(\d+)[^\n]*"msg":"voc-engine serving"/);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; (await fetch(`${base}/readyz`)).status !== 200; i++) {
    if (i > 600) throw new Error('never ready');
    await sleep(100);
  }
  return { proc, base, ws: `ws://127.0.0.1:${port}/v1/stream` };
}

const CALL = buildCallAudio([{ party: 'customer', atMs: 1000, text: 'cancel account refund' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: 30_000 });

/** A call that has said "cancel account refund" (alert and final transcript line received), still going. */
async function callInProgress(ws: string, callId: string): Promise<RecordingClient> {
  const client = new RecordingClient(ws);
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
  await client.waitFor((m) => m.type === 'started');
  await client.sendAudio(frames(CALL, 8000, 20).slice(0, 250)); // 5 s of a 30 s call
  await client.waitFor((m) => m.type === 'alert');
  await client.waitFor((m) => m.type === 'transcript' && m.final === true);
  return client;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('crash recovery: a process killed mid-call', () => {
  let redis: Redis;
  const prefix = uniquePrefix('crash-recovery');
  const keys = new RedisKeys(prefix);
  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it("SIGKILL, restart with the same instance id: its call becomes 'interrupted' with a summary from Redis; another instance's call is left alone", async () => {
    const spoolDir = join(dir, 'spool-kill');
    const config = serveConfig('kill', { prefix, spoolDir });
    const a = await serve(config, 'engine-a');
    const b = await serve(config, 'engine-b');
    await Promise.all([callInProgress(a.ws, 'crash-a'), callInProgress(b.ws, 'crash-b')]);
    // The final line and the alert are in Redis (written as they happen), and both calls are active.
    for (const callId of ['crash-a', 'crash-b']) {
      await until(`${callId} stored`, async () => ((await redis.xlen(`${keys.call(callId)}:transcript`)) > 0 && (await redis.xlen(keys.callAlerts(callId))) > 0 ? true : undefined));
      expect(await redis.hget(keys.call(callId), 'state')).toBe('active');
    }
    expect(await redis.hget(keys.call('crash-a'), 'instance')).toBe('engine-a');

    a.proc.child.kill('SIGKILL');
    b.proc.child.kill('SIGKILL');
    expect((await a.proc.exited).signal).toBe('SIGKILL');
    await b.proc.exited;
    // Nothing ended them: both records are still active.
    expect(await redis.hget(keys.call('crash-a'), 'state')).toBe('active');

    const ended: string[] = [];
    const sub = new Redis(TEST_REDIS_URL);
    await sub.subscribe(keys.callsChannel());
    sub.on('message', (_channel: string, message: string) => ended.push(message));
    try {
      const restarted = await serve(config, 'engine-a');
      // The dead process's lease expires (LEASE_MS) before its calls are taken: polled, no wall-clock limit.
      await restarted.proc.waitFor('stdout', /"callId":"crash-a"[^\n]*"msg":"call left active by a dead engine process marked interrupted/, 60_000);

      const hash = await redis.hgetall(keys.call('crash-a'));
      expect(hash).toMatchObject({ state: 'interrupted', endReason: 'interrupted', cutShort: 'true', instance: 'engine-a' });
      const summary = JSON.parse((await redis.get(keys.callSummary('crash-a')))!) as CallSummary;
      expect(summary).toMatchObject({ type: 'summary', callId: 'crash-a', protocol: 'stream', endReason: 'interrupted', cutShort: true, parties: ['customer', 'agent'], tags: ['churn-risk'] });
      // Every alert the call's stream holds (the keyword, and raised tone on the tone words).
      const streamed = (await redis.xrange(keys.callAlerts('crash-a'), '-', '+')).map(([, f]) => (JSON.parse(f[1]!) as { id: string }).id);
      expect(summary.alerts.map((a) => a.id).sort()).toEqual(streamed.sort());
      expect(summary.alertCount).toBe(streamed.length);
      expect(hash.alertCount).toBe(String(streamed.length));
      expect(summary.alerts.find((a) => a.kind === 'keyword')).toMatchObject({ category: 'churn-risk', phrase: 'cancel account', callId: 'crash-a' });
      expect(summary.transcript.map((t) => t.text).join(' ')).toContain('cancel account');
      expect(summary.startedAt).toBe(hash.startedAt);
      expect(Date.parse(summary.endedAt)).toBeGreaterThanOrEqual(Date.parse(summary.startedAt));
      expect(summary.analytics.recovery).toMatchObject({ instance: 'engine-a', missing: ['audio', 'analytics'] });
      // Retention starts: the record no longer carries the active safety TTL.
      expect(await redis.pttl(keys.call('crash-a'))).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
      expect(await redis.zscore(keys.activeCalls(), 'crash-a')).toBeNull();
      expect(await redis.zscore(keys.recentCalls(), 'crash-a')).not.toBeNull();
      await until('call_ended message', async () => (ended.some((m) => m.includes('"crash-a"')) ? true : undefined), 10_000);
      expect(JSON.parse(ended.find((m) => m.includes('"crash-a"'))!)).toMatchObject({ type: 'call_ended', callId: 'crash-a', endReason: 'interrupted' });
      expect(await metric(restarted.base, 'voc_calls_total{protocol="stream",end_reason="interrupted"}')).toBe(1);

      // Another instance's call: untouched, still active, no summary.
      expect(await redis.hget(keys.call('crash-b'), 'state')).toBe('active');
      expect(await redis.get(keys.callSummary('crash-b'))).toBeNull();
      expect(await redis.zscore(keys.activeCalls(), 'crash-b')).not.toBeNull();
      expect(ended.some((m) => m.includes('"crash-b"'))).toBe(false);

      restarted.proc.child.kill('SIGTERM');
      expect(await restarted.proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      sub.disconnect();
    }
  });
});

describe('crash recovery: Redis hangs at shutdown', () => {
  it('SIGTERM while Redis hangs: the summary lands in the spool; the next start writes it to Redis and empties the spool', async () => {
    const port = await freePort();
    let own = new OwnRedis(port);
    await own.start();
    const spoolDir = join(dir, 'spool-hung');
    const prefix = uniquePrefix('spool');
    const keys = new RedisKeys(prefix);
    const config = serveConfig('hung', { redisUrl: own.url, prefix, spoolDir });
    const probe = new Redis(own.url);
    const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    probe.disconnect();
    try {
      const first = await serve(config, 'engine-spool');
      const client = await callInProgress(first.ws, 'hung-call');

      process.kill(pid, 'SIGSTOP'); // Redis keeps its socket open and stops answering
      first.proc.child.kill('SIGTERM');
      const summary = await client.waitFor((m) => m.type === 'summary', 60_000);
      expect(summary).toMatchObject({ callId: 'hung-call', endReason: 'shutdown' });
      expect(await first.proc.exited).toEqual({ code: 0, signal: null });
      expect(first.proc.stdout).toMatch(/"spooledSummaries":1[^\n]*unconfirmed summaries spooled/);

      const files = readdirSync(spoolDir).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      const spooled = JSON.parse(readFileSync(join(spoolDir, files[0]!), 'utf8')) as { prefix: string; record: string; summary: CallSummary };
      expect(spooled).toMatchObject({ prefix, summary: { callId: 'hung-call', endReason: 'shutdown', cutShort: true } });

      // Redis is replaced by a fresh, empty one on the same port (what the hung one held is gone), so
      // what reaches Redis now can only come from the spool.
      process.kill(pid, 'SIGKILL');
      await own.stop();
      own = new OwnRedis(port);
      await own.start();
      const redis = new Redis(own.url);
      try {
        expect(await redis.exists(keys.callSummary('hung-call'))).toBe(0);
        const second = await serve(config, 'engine-spool');
        await second.proc.waitFor('stdout', /"replayed":1[^\n]*"msg":"summary spool replayed"/);
        const stored = JSON.parse((await redis.get(keys.callSummary('hung-call')))!) as CallSummary;
        expect(stored).toEqual(spooled.summary);
        expect(await redis.hgetall(keys.call('hung-call'))).toMatchObject({ state: 'ended', endReason: 'shutdown', record: spooled.record, alertCount: String(spooled.summary.alertCount) });
        expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toEqual([]);
        expect(await metric(second.base, 'voc_summaries_replayed_total')).toBe(1);
        second.proc.child.kill('SIGTERM');
        expect(await second.proc.exited).toEqual({ code: 0, signal: null });
      } finally {
        redis.disconnect();
      }
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already replaced
      }
      await own.stop();
    }
  });
});
