/**
 * `npm run bench:voc`: what the cross-call layer (docs/voc.md) costs per call. Starts a private
 * redis-server (so INFO commandstats counts only this process), records ended calls through
 * VocAggregator and reports Redis round trips (EXEC) and commands per call, latency per call
 * (sequential: one round trip each), throughput with 64 in flight, CPU per call in this process,
 * and one spike evaluation. Results: bench/results/voc-latest.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { compileRuleSet } from '../src/analytics/rules/compile.js';
import { vocOptionsSchema } from '../src/analytics/voc/options.js';
import { recognizeDrivers } from '../src/analytics/voc/recognize.js';
import type { CallSummary } from '../src/events/schema.js';
import { createLogger } from '../src/log/logger.js';
import { EngineMetrics } from '../src/metrics/metrics.js';
import { VocAggregator } from '../src/publish/voc-aggregator.js';
import { SpikeMonitor } from '../src/publish/voc-spikes.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redis = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: (n) => (n > 50 ? null : 100) });
  try {
    await redis.ping();
    const rules = compileRuleSet(
      [{ file: 'config/rules/drivers-telecom.yaml', text: readFileSync(join(REPO, 'config/rules/drivers-telecom.yaml'), 'utf8') }, { file: 'config/rules/customer-experience.yaml', text: readFileSync(join(REPO, 'config/rules/customer-experience.yaml'), 'utf8') }],
      1,
    );
    const options = vocOptionsSchema.parse({});
    const metrics = new EngineMetrics({ defaults: false });
    const aggregator = new VocAggregator(redis, 'bench', { ...options, exampleCalls: 5 }, () => rules, metrics);
    const t0 = Date.UTC(2026, 0, 1, 8);
    const summary = (i: number): CallSummary => {
      const d = rules.drivers[i % rules.drivers.length]!;
      const drivers = recognizeDrivers(rules.drivers, i % 5 === 0 ? new Map() : new Map([[d.category, { evidence: [], startMs: 0, endMs: 1 }]]));
      const endedAt = new Date(t0 + i * 50).toISOString();
      return {
        type: 'summary', v: 1, callId: `bench-${i}`, protocol: 'bench', language: 'en', parties: ['customer', 'agent'], metadata: {}, startedAt: endedAt, endedAt, durationMs: 180_000,
        endReason: 'stop', cutShort: false, tags: [], alertCount: 0, alerts: [], transcript: [], audio: {},
        analytics: { drivers, categories: { matched: i % 3 === 0 ? [{ name: 'churn-risk' }, { name: 'long-silence' }] : [{ name: 'long-silence' }] } },
      };
    };
    // Warm-up
    for (let i = 0; i < 200; i++) await aggregator.record(summary(i));

    const N = 5000;
    const before = await commandStats(redis);
    const cpu0 = process.cpuUsage();
    let start = performance.now();
    for (let i = 0; i < N; i++) await aggregator.record(summary(1000 + i));
    const sequentialMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const after = await commandStats(redis);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    let commands = 0;
    for (const [name, calls] of after) if (name !== 'info') commands += calls - (before.get(name) ?? 0);

    const inFlight = 64;
    start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < N) await aggregator.record(summary(10_000 + next++));
    }));
    const concurrentMs = performance.now() - start;

    const monitor = new SpikeMonitor({ redis, prefix: 'bench', options, instance: 'bench', rules: () => rules, metrics, log: createLogger('silent'), now: () => t0 + 2 * 3_600_000 });
    start = performance.now();
    await monitor.evaluate(t0 + 3_600_000);
    const evaluateMs = performance.now() - start;

    const out = {
      date: new Date().toISOString(),
      node: process.version,
      calls: N,
      redisRoundTripsPerCall: delta('exec') / N,
      redisCommandsPerCall: Math.round((commands / N) * 10) / 10,
      sequentialMsPerCall: Math.round((sequentialMs / N) * 1000) / 1000,
      cpuUsPerCall: Math.round((cpu.user + cpu.system) / N),
      concurrentCallsPerSecond: Math.round(N / (concurrentMs / 1000)),
      concurrentInFlight: inFlight,
      spikeEvaluationMs: Math.round(evaluateMs * 10) / 10,
      drivers: rules.drivers.length,
    };
    const dir = join(REPO, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'voc-latest.json'), JSON.stringify(out, null, 2));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    server.kill('SIGTERM');
  }
}

await main();
