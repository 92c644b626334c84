/**
 * Supervisor console under load: 200 simulated live calls at 5 events/s each (4 final transcript
 * lines and 1 alert per call per second, written to Redis by the engine's own RedisCallPublisher,
 * as engine instances do), with one headless Chromium showing the console: 20 s on the live calls
 * board, 20 s on the alert feed.
 *
 * Measures, in the page: long tasks (PerformanceObserver 'longtask': Chromium reports tasks over
 * 50 ms only) and a 50 ms timer's lateness (bounded by the longest task that held the main thread);
 * in the engine (bench/service-child.ts): event-loop delay p99 with the console off and no browser
 * (baseline) against the console on with the browser attached, under the same Redis traffic.
 * Results: bench/results/console-latest.json.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type Page } from 'playwright-core';
import { generateTinyModel } from '../src/asr/tiny-model/generate.js';
import type { AlertSeverity } from '../src/events/schema.js';
import { createLogger } from '../src/log/logger.js';
import { EngineMetrics } from '../src/metrics/metrics.js';
import { RedisCallPublisher } from '../src/publish/redis-publisher.js';
import { deleteKeys, ipc } from './child-ipc.js';

const REDIS_URL = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHROMIUM = process.env.VOC_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CALLS = 200;
const EVENTS_PER_CALL_PER_SECOND = 5;
const TICK_MS = 50;
const VIEW_MS = 20_000;
const KEY = 'bench-console-key-0123456789';
const SEVERITIES: AlertSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

interface EngineLoop {
  p50: number;
  p99: number;
  max: number;
}

/** Simulated traffic: every TICK_MS, the events due across all calls, round-robin. */
function startTraffic(publisher: RedisCallPublisher, prefix: string): { stop(): void; events(): number } {
  let sent = 0;
  let seq = 0;
  const started = Date.now();
  const perTick = (CALLS * EVENTS_PER_CALL_PER_SECOND * TICK_MS) / 1000;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++, seq++) {
      const call = seq % CALLS;
      const round = Math.floor(seq / CALLS);
      const callId = `${prefix.replace(/[^A-Za-z0-9]/g, '')}-call-${call}`;
      const atMs = Date.now() - started;
      if (round % EVENTS_PER_CALL_PER_SECOND === 4) {
        void publisher.alert({
          type: 'alert',
          v: 1,
          id: `${callId}/bench:${round}`,
          callId,
          kind: round % 25 === 4 ? 'raised_tone' : 'keyword',
          category: round % 25 === 4 ? 'raised_tone' : 'churn-risk',
          severity: SEVERITIES[round % SEVERITIES.length]!,
          party: 'customer',
          phrase: 'cancel account',
          startMs: atMs,
          endMs: atMs + 800,
          raisedAt: new Date().toISOString(),
        }, `bench${call}`);
      } else {
        const party = round % 2 === 0 ? 'customer' : 'agent';
        void publisher.transcript({
          type: 'transcript',
          v: 1,
          callId,
          party,
          final: true,
          text: 'cancel account refund please',
          words: [],
          startMs: atMs,
          endMs: atMs + 1200,
          utterance: round,
        }, `bench${call}`);
      }
      sent++;
    }
  }, TICK_MS);
  return { stop: () => clearInterval(timer), events: () => sent };
}

async function startCalls(publisher: RedisCallPublisher, prefix: string): Promise<void> {
  const format = { encoding: 'mulaw', sampleRate: 8000, channels: 2 } as const;
  await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      publisher.callStarted(
        { callId: `${prefix.replace(/[^A-Za-z0-9]/g, '')}-call-${i}`, protocol: 'stream', format, parties: ['customer', 'agent'], language: 'en', metadata: {} },
        new Date(),
        `bench${i}`,
      ),
    ),
  );
}

/** One engine process with the console on or off, under the traffic, for `ms`; its loop delay. */
async function enginePhase(modelDir: string, prefix: string, consoleOn: boolean, during: (port: number) => Promise<unknown>): Promise<{ loop: EngineLoop; result: unknown }> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'service-child.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = ipc(child);
  try {
    await ask(undefined, 'ready');
    const started = await ask(
      {
        cmd: 'start',
        config: {
          server: { port: 0, host: '127.0.0.1' },
          grpc: { enabled: false },
          auth: { apiKeys: [KEY] },
          redis: { url: REDIS_URL, prefix, retentionMs: 60_000 },
          model: { path: modelDir, autoDownload: false },
          console: { enabled: consoleOn },
          logging: { level: 'warn' },
        },
      },
      'started',
    );
    await ask({ cmd: 'begin' }, 'begun');
    const result = await during(started.httpPort as number);
    const ended = await ask({ cmd: 'end' }, 'ended');
    return { loop: ended.eventLoopDelayMs as EngineLoop, result };
  } finally {
    child.send({ cmd: 'exit' });
  }
}

const PAGE_PROBES = `(() => {
  window.__long = [];
  window.__lag = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  setInterval(() => { const now = performance.now(); window.__lag.push(Math.max(0, now - last - 50)); last = now; }, 50);
})()`;

async function pageSample(page: Page): Promise<{ longTasks: number[]; lag: number[] }> {
  const sample = (await page.evaluate('({ longTasks: window.__long.splice(0), lag: window.__lag.splice(0) })')) as { longTasks: number[]; lag: number[] };
  return sample;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

function summarize({ longTasks, lag }: { longTasks: number[]; lag: number[] }) {
  return {
    longTasks: longTasks.length,
    longTaskP95Ms: quantile(longTasks, 0.95),
    longTaskMaxMs: round(Math.max(0, ...longTasks)),
    timerLatenessP95Ms: quantile(lag, 0.95),
    timerLatenessP99Ms: quantile(lag, 0.99),
  };
}

async function browse(port: number): Promise<Record<string, unknown>> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript({ content: PAGE_PROBES });
    await page.goto(`http://127.0.0.1:${port}/console`);
    await page.fill('#key', KEY);
    await page.press('#key', 'Enter');
    await page.waitForSelector('#connection:text("live")');
    await page.waitForSelector('tr[data-call-id]');
    await pageSample(page); // discard the load and sign-in
    await page.waitForTimeout(VIEW_MS);
    const board = summarize(await pageSample(page));
    const rows = Number(await page.evaluate('document.querySelectorAll("tr[data-call-id]").length'));
    await page.click('a[href="#/alerts"]');
    await page.waitForSelector('[data-alert-id]');
    await pageSample(page);
    await page.waitForTimeout(VIEW_MS);
    const alerts = summarize(await pageSample(page));
    const connection = String(await page.evaluate('document.getElementById("connection").textContent'));
    return { board: { ...board, rows }, alerts, connectionAtEnd: connection };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'voc-bench-console-'));
  const modelDir = join(work, 'tiny');
  generateTinyModel(modelDir);
  const prefix = `vocbench:console:${Date.now()}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const publisher = new RedisCallPublisher(redis, { prefix, retentionMs: 60_000, alertStreamMaxLen: 100_000, maxPendingWrites: 100_000 }, new EngineMetrics({ defaults: false }), createLogger('warn'), 3_600_000);
  try {
    await startCalls(publisher, prefix);
    const traffic = startTraffic(publisher, prefix);
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    process.stderr.write('bench console: baseline (console off, no browser) ...\n');
    const baseline = await enginePhase(modelDir, prefix, false, () => wait(2 * VIEW_MS));
    process.stderr.write('bench console: console on, Chromium on the board then the alert feed ...\n');
    const withConsole = await enginePhase(modelDir, prefix, true, (port) => browse(port));
    traffic.stop();
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      calls: CALLS,
      eventsPerCallPerSecond: EVENTS_PER_CALL_PER_SECOND,
      eventsSent: traffic.events(),
      page: withConsole.result,
      engineLoopMs: {
        baseline: baseline.loop,
        withConsole: withConsole.loop,
        p99RiseMs: round(withConsole.loop.p99 - baseline.loop.p99),
      },
    };
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'console-latest.json'), JSON.stringify(out, null, 2));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await publisher.flush(10_000);
    redis.disconnect();
    await deleteKeys(REDIS_URL, prefix);
    rmSync(work, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
