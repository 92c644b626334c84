import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/events/schema.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { cliEnv, startCli, writeYaml, type CliProcess } from '../helpers/cli.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { freePort, OwnRedis } from '../helpers/redis-server.js';
import { tinyModelDir } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// `voc serve` from the built CLI, as an operator runs it (one process: ASR runs on worker threads).

let dir: string;
let modelDir: string;
const procs: CliProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-cli-serve-'));
  modelDir = tinyModelDir();
});
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

function serveConfig(name: string, over: { redisUrl?: string; prefix?: string; drainTimeoutMs?: number } = {}): string {
  return writeYaml(dir, `${name}.yaml`, {
    server: { port: 0, host: '127.0.0.1' },
    grpc: { enabled: false },
    redis: { url: over.redisUrl ?? TEST_REDIS_URL, prefix: over.prefix ?? uniquePrefix(name), healthIntervalMs: 200 },
    model: { path: modelDir, autoDownload: false },
    shutdown: { drainTimeoutMs: over.drainTimeoutMs ?? 1500 },
    keywords: [{ name: 'churn-risk', phrases: ['cancel account'], party: 'customer', severity: 'high' }],
    logging: { level: 'info' },
  });
}

/** Starts `voc serve` and reads the bound HTTP port from its 'voc-engine serving' log line. */
async function serve(config: string, args: string[] = []): Promise<{ proc: CliProcess; base: string; ws: string }> {
  const proc = startCli(['serve', ...args], { env: cliEnv({ VOC_CONFIG: config }) });
  procs.push(proc);
  const [, port] = await proc.waitFor('stdout', /"httpPort":(\d+)[^\n]*"msg":"voc-engine serving"/);
  return { proc, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/v1/stream` };
}

/** Readiness needs a first Redis PING answered, a few ms after the serving line. */
async function untilReady(base: string): Promise<void> {
  for (let i = 0; (await fetch(`${base}/readyz`)).status !== 200; i++) {
    if (i > 100) throw new Error('never ready');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openCall(ws: string, callId: string): Promise<RecordingClient> {
  const client = new RecordingClient(ws);
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
  await client.waitFor((m) => m.type === 'started');
  return client;
}

const CALL = buildCallAudio([{ party: 'customer', atMs: 1000, text: 'cancel account refund' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: 30_000 });

describe('voc serve: graceful shutdown', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(() => redis.disconnect());

  it('SIGTERM mid-call: not ready, no new calls, the call is cut short with its summary in Redis, exit 0', async () => {
    const prefix = uniquePrefix('cli-serve-shutdown');
    const drainTimeoutMs = 1500;
    const { proc, base, ws } = await serve(serveConfig('shutdown', { prefix, drainTimeoutMs }));
    try {
      await untilReady(base);
      const client = await openCall(ws, 'shutdown-call-1');
      await client.sendAudio(frames(CALL, 8000, 20).slice(0, 200)); // 4 s of a 30 s call
      await client.waitFor((m) => m.type === 'alert');

      const signalledAt = Date.now();
      proc.child.kill('SIGTERM');
      await proc.waitFor('stdout', /"msg":"shutting down: no new calls, active calls may finish"/);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ready: false, checks: { accepting: false } });
      const refused = new RecordingClient(ws);
      await refused.opened;
      refused.send({ type: 'start', callId: 'too-late', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
      expect(await refused.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'draining' });

      const summary = await client.waitFor((m) => m.type === 'summary', drainTimeoutMs + 5000);
      expect(summary).toMatchObject({ endReason: 'shutdown', cutShort: true, alertCount: 1 });
      const exit = await proc.exited;
      const tookMs = Date.now() - signalledAt;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(tookMs).toBeGreaterThanOrEqual(drainTimeoutMs - 100); // the call was given its time
      expect(tookMs).toBeLessThan(drainTimeoutMs + 5000);

      const keys = new RedisKeys(prefix);
      const stored = JSON.parse((await redis.get(keys.callSummary('shutdown-call-1')))!) as CallSummary;
      expect(stored).toMatchObject({ callId: 'shutdown-call-1', endReason: 'shutdown', cutShort: true, alertCount: 1 });
      expect(await redis.hgetall(keys.call('shutdown-call-1'))).toMatchObject({ state: 'ended', endReason: 'shutdown', cutShort: 'true' });
      expect(proc.stdout).toMatch(/"finished":0,"cutShort":1,"msg":"shutdown complete"/);
      // Call-related log lines carry callId and protocol.
      expect(proc.stdout).toMatch(/"callId":"shutdown-call-1","protocol":"stream"[^\n]*"msg":"call ended"/);
    } finally {
      await deletePrefix(redis, prefix);
    }
  });

  it('a call that ends within the drain time finishes normally', async () => {
    const prefix = uniquePrefix('cli-serve-finish');
    const { proc, ws } = await serve(serveConfig('finish', { prefix, drainTimeoutMs: 10_000 }));
    try {
      const client = await openCall(ws, 'finish-call-1');
      await client.sendAudio(frames(CALL, 8000, 20).slice(0, 100));
      proc.child.kill('SIGTERM');
      await proc.waitFor('stdout', /shutting down/);
      await client.sendAudio(frames(CALL, 8000, 20).slice(100, 200));
      client.send({ type: 'stop' });
      expect(await client.waitFor((m) => m.type === 'summary')).toMatchObject({ endReason: 'stop', cutShort: false });
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect(proc.stdout).toMatch(/"finished":1,"cutShort":0/);
    } finally {
      await deletePrefix(redis, prefix);
    }
  });

  it('a second signal exits at once, non-zero', async () => {
    const prefix = uniquePrefix('cli-serve-twice');
    // A drain far longer than the test may run: the process exiting at all shows it did not wait it out.
    const drainTimeoutMs = 3_600_000;
    const { proc, ws } = await serve(serveConfig('twice', { prefix, drainTimeoutMs }));
    try {
      await openCall(ws, 'twice-call-1');
      proc.child.kill('SIGINT');
      await proc.waitFor('stdout', /shutting down/);
      proc.child.kill('SIGINT');
      const exit = await proc.exited;
      expect(exit).toEqual({ code: 130, signal: null });
      expect(proc.stdout).toContain('second signal: exiting now');
    } finally {
      await deletePrefix(redis, prefix);
    }
  });
});

describe('voc serve: Redis unreachable at start', () => {
  it('says which URL and how to start Redis, serves not ready, and becomes ready when Redis comes', async () => {
    const own = new OwnRedis(await freePort());
    const { proc, base } = await serve(serveConfig('redis-late', { redisUrl: own.url }));
    try {
      await proc.waitFor('stderr', /serving anyway/);
      expect(proc.stderr).toContain(`cannot reach Redis at ${own.url}`);
      expect(proc.stderr).toContain('redis-server');
      // One hint, not one per check.
      expect(proc.stderr.split('cannot reach Redis').length - 1).toBe(1);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ checks: { redis: false, model: true, accepting: true } });

      await own.start();
      await untilReady(base);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      await own.stop();
    }
  });

  it('with --redis-timeout, exits 4 when Redis does not answer in time', async () => {
    const url = `redis://:pw@127.0.0.1:${await freePort()}`;
    const proc = startCli(['serve', '--redis-timeout', '500'], { env: cliEnv({ VOC_CONFIG: serveConfig('redis-timeout', { redisUrl: url }) }) });
    procs.push(proc);
    expect(await proc.exited).toEqual({ code: 4, signal: null });
    expect(proc.stderr).toMatch(/voc: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(proc.stderr).not.toContain(':pw@');
    // The hint once (it used to come at the first check and again with the exit).
    expect(proc.stderr.split('cannot reach Redis').length - 1).toBe(1);
    expect(proc.stderr.split('redis-server').length - 1).toBe(1);
  });
});
