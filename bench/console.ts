/**
 * Supervisor console under load: 200 simulated live calls at 5 events/s each (4 final transcript
 * lines and 1 alert per call per second, written to Redis by the engine's own RedisCallPublisher,
 * as engine instances do), with one headless Chromium showing the console: 20 s on the live calls
 * board, 20 s on the alert feed, 20 s on one call's page (its live transcript and alerts).
 *
 * Measures, in the page: long tasks (PerformanceObserver 'longtask': Chromium reports tasks over
 * 50 ms only) and a 50 ms timer's lateness (bounded by the longest task that held the main thread);
 * Chromium's own count of the renderer main thread's scripting, layout and style time per second
 * (CDP Performance.getMetrics in thread time: far less sensitive to the machine's other load than
 * long tasks); in the engine (bench/service-child.ts): event-loop delay p99 and main-thread busy time
 * with the console off and no browser (baseline, before and after) against the console on with the
 * browser attached, under the same Redis traffic.
 * Results: bench/results/console-latest.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { generateTinyModel } from '../src/asr/tiny-model/generate.js';
import type { AlertSeverity } from '../src/events/schema.js';
import { createLogger } from '../src/log/logger.js';
import { EngineMetrics } from '../src/metrics/metrics.js';
import { RedisCallPublisher } from '../src/publish/redis-publisher.js';
import { deleteKeys, forkEngine } from './child-ipc.js';

const REDIS_URL = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHROMIUM = process.env.VOC_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CALLS = 200;
const EVENTS_PER_CALL_PER_SECOND = 5;
const TICK_MS = 50;
const VIEW_MS = 20_000;
const KEY = 'bench-console-key-0123456789';
/** With VOC_BENCH_PROFILE=<dir>, the page's CPU profile of each view is written there (open in Chromium's DevTools). */
const PROFILE_DIR = process.env.VOC_BENCH_PROFILE;
const SEVERITIES: AlertSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

interface EngineLoop {
  p50: number;
  p99: number;
  max: number;
}

interface EnginePhase {
  loop: EngineLoop;
  /** Main-thread busy time (event-loop utilization) and process CPU, per second of the phase. */
  mainThreadBusyMsPerS: number;
  cpuMsPerS: number;
}

function callId(prefix: string, call: number): string {
  return `${prefix.replace(/[^A-Za-z0-9]/g, '')}-call-${call}`;
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
      const id = callId(prefix, call);
      const atMs = Date.now() - started;
      if (round % EVENTS_PER_CALL_PER_SECOND === 4) {
        void publisher.alert({
          type: 'alert',
          v: 1,
          id: `${id}/bench:${round}`,
          callId: id,
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
          callId: id,
          party,
          final: true,
          text: 'cancel account refund please',
          words: ['cancel', 'account', 'refund', 'please'].map((word, w) => ({ word, startMs: atMs + w * 300, endMs: atMs + w * 300 + 250, conf: 0.9 })),
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
        { callId: callId(prefix, i), protocol: 'stream', format, parties: ['customer', 'agent'], language: 'en', metadata: {} },
        new Date(),
        `bench${i}`,
      ),
    ),
  );
}

/** One engine process with the console on or off, under the traffic, for `ms`; its loop delay. */
async function enginePhase(modelDir: string, prefix: string, consoleOn: boolean, during: (port: number) => Promise<unknown>): Promise<EnginePhase & { result: unknown }> {
  // The engine's CPU profile too (written at exit), named after the phase.
  const { child, ask } = forkEngine(
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=engine-console-${consoleOn ? 'on' : 'off'}-${Date.now()}.cpuprofile`] : [],
  );
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
    await ask({ cmd: 'begin', loop: 'raw-1ms' }, 'begun');
    const began = performance.now();
    const result = await during(started.httpPort as number);
    const ended = await ask({ cmd: 'end' }, 'ended');
    const seconds = (performance.now() - began) / 1000;
    return {
      loop: ended.eventLoopDelayMs as EngineLoop,
      mainThreadBusyMsPerS: round((ended.mainThreadBusyMs as number) / seconds),
      cpuMsPerS: round(((ended.cpuUserMs as number) + (ended.cpuSystemMs as number)) / seconds),
      result,
    };
  } finally {
    child.send({ cmd: 'exit' });
  }
}

const PAGE_PROBES = `(() => {
  window.__long = [];
  window.__lag = [];
  window.__feedBytes = 0;
  // Counts what the live feed delivers (the page's own socket), to compare server-side filtering.
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => { window.__feedBytes += typeof e.data === 'string' ? e.data.length : 0; });
    }
  };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  setInterval(() => { const now = performance.now(); window.__lag.push(Math.max(0, now - last - 50)); last = now; }, 50);
})()`;

interface PageSample {
  longTasks: number[];
  /** Every main-thread task's duration (from a trace; empty when profiling instead). */
  tasks: number[];
  lag: number[];
  /** Chromium's own accounting of the renderer main thread (CDP Performance.getMetrics), ms per second of the view. */
  busy: Record<'scriptMsPerS' | 'layoutMsPerS' | 'styleMsPerS' | 'taskMsPerS', number>;
  /** Live-feed bytes and messages received per second. */
  feedBytesPerS: number;
  /** All of Chromium's processes, CPU ms per second (Linux). */
  browserCpuMsPerS: number | undefined;
}

/**
 * CPU time (ms) of Chromium's processes (browser, renderer, GPU, network...) started by this
 * process, from /proc (Linux; clock ticks of 10 ms): the whole browser's cost, which the engine
 * competes with on the same cores. Undefined where /proc cannot be read.
 */
function browserCpuMs(): number | undefined {
  try {
    const procs = new Map<number, { ppid: number; ticks: number }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // After "pid (comm) ": state ppid ... utime is the 14th field, stime the 15th.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // exited meanwhile
      }
    }
    let ticks = 0;
    const below = (pid: number): boolean => {
      for (let p = procs.get(pid)?.ppid; p !== undefined && p > 1; p = procs.get(p)?.ppid) if (p === process.pid) return true;
      return false;
    };
    for (const [pid, proc] of procs) {
      if (!below(pid)) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (/chrom/i.test(cmdline.split('\0')[0] ?? '')) ticks += proc.ticks;
    }
    return ticks * 10;
  } catch {
    return undefined;
  }
}

/** Cumulative main-thread times (seconds) as Chromium counts them. */
async function rendererTimes(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/**
 * Every task of the page's main thread in a trace (Chromium's RunTask events on CrRendererMain), in
 * ms: PerformanceObserver reports only tasks over 50 ms, so the p95 of all tasks comes from here.
 */
function mainThreadTasks(trace: Buffer): number[] {
  const { traceEvents } = JSON.parse(trace.toString('utf8')) as { traceEvents: Array<{ name: string; ph: string; pid: number; tid: number; dur?: number; args?: { name?: string } }> };
  const main = new Set(traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  return traceEvents.filter((e) => e.name === 'RunTask' && e.ph === 'X' && e.dur !== undefined && main.has(`${e.pid}:${e.tid}`)).map((e) => e.dur! / 1000);
}

/** Samples one view: resets the probes, waits `ms`, then reads them and the renderer's busy times. */
async function sampleView(page: Page, cdp: CDPSession, ms: number, profileName?: string): Promise<PageSample> {
  await page.evaluate('window.__long.splice(0); window.__lag.splice(0); window.__feedBytes = 0');
  const before = await rendererTimes(cdp);
  const browserBefore = browserCpuMs();
  const started = performance.now();
  // A CPU profile and a trace would each weigh on the other's figures: one or the other.
  if (profileName) await cdp.send('Profiler.start');
  else await page.context().browser()!.startTracing(page, { categories: ['disabled-by-default-devtools.timeline', 'devtools.timeline'] });
  await page.waitForTimeout(ms);
  let tasks: number[] = [];
  if (profileName) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    writeFileSync(join(PROFILE_DIR!, `${profileName}.cpuprofile`), JSON.stringify(profile));
  } else tasks = mainThreadTasks(await page.context().browser()!.stopTracing());
  const after = await rendererTimes(cdp);
  const browserAfter = browserCpuMs();
  const seconds = (performance.now() - started) / 1000;
  const perS = (name: string) => round(((after[name] ?? 0) - (before[name] ?? 0)) * 1000 / seconds);
  const probes = (await page.evaluate('({ longTasks: window.__long.splice(0), lag: window.__lag.splice(0), feedBytes: window.__feedBytes })')) as { longTasks: number[]; lag: number[]; feedBytes: number };
  return {
    longTasks: probes.longTasks,
    tasks,
    lag: probes.lag,
    busy: { scriptMsPerS: perS('ScriptDuration'), layoutMsPerS: perS('LayoutDuration'), styleMsPerS: perS('RecalcStyleDuration'), taskMsPerS: perS('TaskDuration') },
    browserCpuMsPerS: browserBefore === undefined || browserAfter === undefined ? undefined : round((browserAfter - browserBefore) / seconds),
    feedBytesPerS: Math.round(probes.feedBytes / seconds),
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

function summarize({ longTasks, tasks, lag, busy, feedBytesPerS, browserCpuMsPerS }: PageSample) {
  return {
    ...busy,
    browserCpuMsPerS,
    feedBytesPerS,
    tasks: tasks.length,
    taskP95Ms: quantile(tasks, 0.95),
    taskP99Ms: quantile(tasks, 0.99),
    longTasks: longTasks.length,
    longTaskP95Ms: quantile(longTasks, 0.95),
    longTaskMaxMs: round(Math.max(0, ...longTasks)),
    timerLatenessP95Ms: quantile(lag, 0.95),
    timerLatenessP99Ms: quantile(lag, 0.99),
  };
}

async function browse(port: number, prefix: string): Promise<Record<string, unknown>> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript({ content: PAGE_PROBES });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await cdp.send('Profiler.enable');
    await page.goto(`http://127.0.0.1:${port}/console`);
    await page.fill('#key', KEY);
    await page.press('#key', 'Enter');
    await page.waitForSelector('#connection:text("live")');
    await page.waitForSelector('tr[data-call-id]');
    await page.waitForTimeout(1000); // the load and sign-in are not measured
    const board = summarize(await sampleView(page, cdp, VIEW_MS, PROFILE_DIR && 'console-board'));
    const rows = Number(await page.evaluate('document.querySelectorAll("tr[data-call-id]").length'));
    await page.click('a[href="#/alerts"]');
    await page.waitForSelector('[data-alert-id]');
    await page.waitForTimeout(1000);
    const alerts = summarize(await sampleView(page, cdp, VIEW_MS, PROFILE_DIR && 'console-alerts'));
    // One call's page: its live transcript (4 lines/s) and alerts, while the other 199 calls go on.
    await page.evaluate(`location.hash = ${JSON.stringify(`#/call/${encodeURIComponent(callId(prefix, 0))}`)}`);
    await page.waitForSelector('[data-line]');
    await page.waitForTimeout(1000);
    const call = summarize(await sampleView(page, cdp, VIEW_MS, PROFILE_DIR && 'console-call'));
    const lines = Number(await page.evaluate('document.querySelectorAll("[data-line]").length'));
    const connection = String(await page.evaluate('document.getElementById("connection").textContent'));
    return { board: { ...board, rows }, alerts, call: { ...call, lines }, connectionAtEnd: connection };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'voc-bench-console-'));
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
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
    const loadBefore = loadavg();
    const baseline = await enginePhase(modelDir, prefix, false, () => wait(VIEW_MS));
    process.stderr.write('bench console: console on, Chromium on the board then the alert feed ...\n');
    const withConsole = await enginePhase(modelDir, prefix, true, (port) => browse(port, prefix));
    process.stderr.write('bench console: baseline again (the machine is shared: its load drifts) ...\n');
    const baselineAfter = await enginePhase(modelDir, prefix, false, () => wait(VIEW_MS));
    const loadAfter = loadavg();
    traffic.stop();
    const baselineP99 = (baseline.loop.p99 + baselineAfter.loop.p99) / 2;
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      /** 1-minute load average before and after the run: the cores are shared with other work. */
      loadAverage1m: { before: round(loadBefore[0]!), after: round(loadAfter[0]!) },
      calls: CALLS,
      eventsPerCallPerSecond: EVENTS_PER_CALL_PER_SECOND,
      eventsSent: traffic.events(),
      page: withConsole.result,
      engine: {
        baseline: { loopMs: baseline.loop, mainThreadBusyMsPerS: baseline.mainThreadBusyMsPerS, cpuMsPerS: baseline.cpuMsPerS },
        withConsole: { loopMs: withConsole.loop, mainThreadBusyMsPerS: withConsole.mainThreadBusyMsPerS, cpuMsPerS: withConsole.cpuMsPerS },
        baselineAfter: { loopMs: baselineAfter.loop, mainThreadBusyMsPerS: baselineAfter.mainThreadBusyMsPerS, cpuMsPerS: baselineAfter.cpuMsPerS },
        /** Console-on p99 against the mean of the two baselines around it. */
        loopP99RiseMs: round(withConsole.loop.p99 - baselineP99),
        mainThreadBusyRiseMsPerS: round(withConsole.mainThreadBusyMsPerS - (baseline.mainThreadBusyMsPerS + baselineAfter.mainThreadBusyMsPerS) / 2),
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
