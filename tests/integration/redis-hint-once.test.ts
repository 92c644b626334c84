import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectRedis } from '../../src/publish/redis-connection.js';
import { cliEnv, startCli, writeYaml, type CliProcess } from '../helpers/cli.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { uniquePrefix } from '../helpers/redis.js';
import { freePort, OwnRedis } from '../helpers/redis-server.js';
import { tinyModelDir } from '../helpers/service.js';

// Issue 13: "The Redis hint is printed twice". While Redis is away every client retries; what a
// person reads must say so once, not once per retry (the whole engine: publisher, console, spikes,
// instance lease). Kept apart from cli-serve.test.ts.

let dir: string;
let modelDir: string;
const procs: CliProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'voc-redis-hint-'));
  modelDir = tinyModelDir();
});
afterAll(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

/** How many times `needle` occurs in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('one Redis hint, not one per retry', () => {
  it('a client of the engine retrying a Redis that is down prints nothing per attempt (no "[ioredis] Unhandled error event")', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    const client = connectRedis({ url: `redis://127.0.0.1:${await freePort()}`, cluster: false }, 'voc-test');
    let attempts = 0;
    client.on('reconnecting', () => attempts++);
    try {
      // Retries back off 100, 200, 300 ms...: wait for several.
      for (let i = 0; i < 200 && attempts < 4; i++) await new Promise((r) => setTimeout(r, 50));
      expect(attempts).toBeGreaterThanOrEqual(4);
      expect(printed.filter((line) => line.includes('Unhandled error event'))).toEqual([]);
    } finally {
      client.disconnect();
      spy.mockRestore();
    }
  });

  it('voc serve with Redis down: the hint once on stderr, one outage warning and one spike-evaluation error in the log however many retries fail; one line each when Redis is back', async () => {
    const own = new OwnRedis(await freePort());
    const config = writeYaml(dir, 'serve.yaml', {
      server: { port: 0, host: '127.0.0.1' },
      grpc: { enabled: false },
      redis: { url: own.url, prefix: uniquePrefix('redis-hint'), healthIntervalMs: 100, commandTimeoutMs: 200 },
      voc: { spikes: { evaluateIntervalMs: 100 } },
      model: { path: modelDir, autoDownload: false },
      shutdown: { drainTimeoutMs: 500 },
      logging: { level: 'info' },
    });
    const proc = startCli(['serve'], { env: cliEnv({ VOC_CONFIG: config }) });
    procs.push(proc);
    try {
      const [, port] = await proc.waitFor('stdout', /"httpPort":(\d+)[^\n]*"msg":"voc-engine serving"/);
      await proc.waitFor('stderr', /serving anyway/);
      // Many failed attempts: the spike evaluator fails every 100 ms, the connection retries every ≤ 2 s.
      const failures = async () => Number(/voc_redis_publish_failures_total\{operation="voc_spikes"\} (\S+)/.exec(await fetchMetrics(`http://127.0.0.1:${port}`))?.[1] ?? 0);
      for (let i = 0; i < 600 && (await failures()) < 5; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await failures()).toBeGreaterThanOrEqual(5);

      expect(count(proc.stderr, 'cannot reach Redis')).toBe(1);
      expect(count(proc.stderr, 'redis-server')).toBe(1);
      expect(proc.stderr).not.toContain('Unhandled error event');
      expect(count(proc.stdout, '"msg":"redis unreachable; writes are buffered')).toBe(1);
      expect(count(proc.stdout, 'spike evaluation failed')).toBe(1);
      // Nothing else repeats while Redis is away: every log message so far is there once.
      const messages = [...proc.stdout.matchAll(/"msg":"([^"]*)"/g)].map((m) => m[1]!);
      const repeated = messages.filter((m, i) => messages.indexOf(m) !== i);
      expect(repeated).toEqual([]);

      await own.start();
      await proc.waitFor('stdout', /spike evaluation works again/);
      await proc.waitFor('stdout', /redis connection restored/);
      expect(count(proc.stdout, 'spike evaluation works again')).toBe(1);
      expect(count(proc.stdout, 'spike evaluation failed')).toBe(1);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });
    } finally {
      await own.stop();
    }
  });
});
