/**
 * `npm run bench`: the engine against bare libvosk on the same model, audio and cores, in one run.
 *
 * - bare-*: the calls' audio (decoded and resampled beforehand, untimed) through libvosk alone, one
 *   thread per core, recognizers only: the reference throughput.
 * - engine scenarios start the engine in a child process (bench/service-child.ts) on its own Redis
 *   key prefix and stream generated stereo mu-law 8 kHz calls over real WebSockets; max pacing gives
 *   engine / bare throughput, realtime pacing the event-loop delay (1 ms resolution), alert latency
 *   (frame that completes the phrase -> Redis subscriber), RSS per call and dropped audio.
 * - 'shipped' scenarios use config/voc.yaml's analytics (its rule files) and decoder priority, as users run it.
 *
 * Two models: the cheap tiny model (engine overhead) and the tiny model padded to cost what a real
 * small Vosk model costs. Results: bench/results/latest.json (and a dated copy).
 * `npm run bench -- <name part>` runs the scenarios whose name contains it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { libvosk } from '../src/asr/libvosk.js';
import { MODEL_SAMPLE_RATE } from '../src/asr/tiny-model/vocabulary.js';
import { CallAudioDecoder } from '../src/audio/call-audio-decoder.js';
import { frames } from '../src/asr/tiny-model/call-script.js';
import { CHURN, ROOT, scriptedCall, shippedConfig, streamCall } from './calls.js';
import { meanInterval, median, mergeProgress, percentile, steadyRate, type Progress } from './stats.js';
import { deleteKeys, exitEngine, forkEngine } from './child-ipc.js';
import type { ChildProcess } from 'node:child_process';
import { generateTinyModel } from '../src/asr/tiny-model/generate.js';

interface Scenario {
  name: string;
  model: 'tiny' | 'realistic-cost';
  /** A number, or a share of the real-time calls bare libvosk decodes (from the bare scenario run before). */
  calls: number | { shareOfBare: number };
  callSeconds: number;
  analytics: boolean;
  /** 'bench': one keyword, no rule files; 'shipped': config/voc.yaml's analytics (its rule files), plus that keyword. */
  config: 'bench' | 'shipped';
  /** Per-party ASR queue limit; small values show the drop policy under overload. */
  maxQueueMs: number;
  /** 'max': each client sends as fast as the engine takes it (throughput); 'realtime': 20 ms frames every 20 ms, as telephony does. */
  pacing: 'max' | 'realtime';
}

interface ScenarioResult extends Omit<Scenario, 'calls'> {
  calls: number;
  wallSeconds: number;
  callAudioSeconds: number;
  callAudioSecondsPerWallSecond: number;
  partyAudioSecondsPerWallSecond: number;
  /** Engine throughput / bare libvosk throughput on the same model (max pacing only). */
  engineToBare?: number;
  /**
   * Bare libvosk's CPU per party-second / the engine's (max pacing only): the throughput ratio the
   * engine reaches when both keep every core busy, and unlike throughput not moved by other load.
   */
  cpuEfficiencyToBare?: number;
  /** Each round's engine / bare throughput (against the mean of the bare runs just before and after); engineToBare is their median. */
  engineToBareRounds?: number[];
  /** The rounds' mean ratio and its 95 % confidence interval (Student's t): what the rounds can tell apart. */
  engineToBareMean?: { mean: number; low: number; high: number };
  /** Decoding rate while all calls were in full swing (10-90 % of the audio decoded), party-s per s. */
  steadyPartyAudioSecondsPerWallSecond: number;
  /** The same against bare libvosk's steady rate, median over rounds (throughput scenarios). */
  steadyEngineToBare?: number;
  steadyEngineToBareRounds?: number[];
  /** Event-loop delay p50/p99/max, measured as eventLoopMeasure says. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** How eventLoopDelayMs was measured (service-child's LoopMeasure): realtime runs raw at 1 ms, throughput runs by the engine's probe. */
  eventLoopMeasure: string;
  /** The engine's exported event-loop delay metric over the same window (delay beyond its probe interval). */
  exportedEventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Whole process CPU (main thread and ASR workers) per second of call audio. */
  cpuMsPerCallSecond: number;
  /** Main-thread busy time (event-loop utilization, wall time) per second of call audio. */
  mainThreadMsPerCallSecond: number;
  /** Main-thread CPU time (schedstat, not inflated by a busy machine) per second of call audio. */
  mainThreadCpuMsPerCallSecond: number;
  /**
   * CPU of each of the engine's other threads over the run, ms, busiest first: the ASR workers lead,
   * then V8's compiler and GC helpers and libuv's pool. Where the engine's CPU beyond bare's goes.
   */
  otherThreadsCpuMs: number[];
  /** Process CPU / (wall time x cores). */
  cpuShare: number;
  /**
   * What shares the cores with the engine during the run, ms of CPU per second of call audio: the
   * bench's own process (the WebSocket clients and the Redis subscriber) and the Redis server (INFO cpu).
   */
  neighbourCpuMsPerCallSecond: { clients: number; redis: number };
  /** Warm-up calls ran first (throughput runs): idle RSS is then the warmed engine's, so RSS per call reads lower than from a cold start. */
  warmedUp: boolean;
  idleRssMb: number;
  peakRssMb: number;
  rssPerCallMb: number;
  droppedAudioSeconds: number;
  /** Recognizer streams moved between ASR workers (rebalancing, since the engine started). */
  streamsLent: number;
  finalTranscripts: number;
  alerts: number;
  /** Realtime pacing: from sending the frame that completes the matched phrase to the alert reaching a Redis subscriber. */
  alertLatencyMs?: { p50: number; p99: number; count: number };
  refusedCalls: number;
}

interface BareResult {
  name: string;
  model: Scenario['model'];
  calls: number;
  callSeconds: number;
  threads: number;
  wallSeconds: number;
  partyAudioSecondsPerWallSecond: number;
  /** Real-time calls (2 parties) this throughput sustains. */
  realTimeCalls: number;
  /** Decoding rate between 10 % and 90 % of the audio decoded, party-s per s (see steadyRate). */
  steadyPartyAudioSecondsPerWallSecond: number;
  /** CPU time of the decoding threads per second of party audio (not inflated by other load on the machine). */
  cpuMsPerPartySecond: number;
  finalTranscripts: number;
}

const BARE: Array<{ name: string; model: Scenario['model']; calls: number; callSeconds: number }> = [
  { name: 'bare-tiny', model: 'tiny', calls: 16, callSeconds: 60 },
  { name: 'bare-realistic', model: 'realistic-cost', calls: 4, callSeconds: 30 },
];

const SCENARIOS: Scenario[] = [
  // Throughput, to set against bare libvosk on the same model, audio and cores.
  { name: 'tiny-16-calls', model: 'tiny', calls: 16, callSeconds: 60, analytics: true, config: 'bench', maxQueueMs: 600_000, pacing: 'max' },
  { name: 'realistic-4-calls', model: 'realistic-cost', calls: 4, callSeconds: 30, analytics: true, config: 'bench', maxQueueMs: 600_000, pacing: 'max' },
  // Live calls as users run them (config/voc.yaml, rule files on): loop delay, alert latency, memory at ~80 % of what bare libvosk decodes.
  { name: 'realistic-80pct-realtime-shipped', model: 'realistic-cost', calls: { shareOfBare: 0.8 }, callSeconds: 30, analytics: true, config: 'shipped', maxQueueMs: 10_000, pacing: 'realtime' },
  // Near the limit: 90 % of what bare libvosk decodes in real time must still drop nothing.
  { name: 'realistic-90pct-realtime-shipped', model: 'realistic-cost', calls: { shareOfBare: 0.9 }, callSeconds: 30, analytics: true, config: 'shipped', maxQueueMs: 10_000, pacing: 'realtime' },
  // Many cheap calls: the event loop's own limit.
  { name: 'tiny-200-calls-realtime-shipped', model: 'tiny', calls: 200, callSeconds: 30, analytics: true, config: 'shipped', maxQueueMs: 10_000, pacing: 'realtime' },
  // Overload: audio arrives far faster than decoding with a 2 s queue: shows drop-newest and its count.
  { name: 'realistic-overload-drop', model: 'realistic-cost', calls: 4, callSeconds: 30, analytics: true, config: 'bench', maxQueueMs: 2_000, pacing: 'max' },
];

const REDIS_URL = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * Engine runs per throughput scenario, each between two bare runs. A shared VM's speed drifts by
 * tens of percent over minutes, so each engine run is set against the bare runs around it, and the
 * median ratio is reported.
 */
const ROUNDS = Math.max(1, Number(process.env.VOC_BENCH_ROUNDS ?? 7));

async function main(): Promise<void> {
  const only = process.argv[2];
  const scenarios = only ? SCENARIOS.filter((s) => s.name.includes(only)) : SCENARIOS;
  const work = mkdtempSync(join(tmpdir(), 'voc-bench-'));
  const models = {
    tiny: join(work, 'tiny'),
    'realistic-cost': join(work, 'realistic'),
  };
  generateTinyModel(models.tiny);
  generateTinyModel(models['realistic-cost'], { costLayers: { count: 6, width: 1536 } });

  const bare: BareResult[] = [];
  const results: ScenarioResult[] = [];
  try {
    const runBareOf = async (model: Scenario['model']): Promise<BareResult> => {
      const b = BARE.find((x) => x.model === model)!;
      process.stderr.write(`bench: ${b.name} ...\n`);
      const result = await runBare(b, models[model]);
      process.stderr.write(
        `  ${result.partyAudioSecondsPerWallSecond.toFixed(1)} party-s/s (steady ${result.steadyPartyAudioSecondsPerWallSecond.toFixed(1)}) = ${result.realTimeCalls.toFixed(1)} real-time calls, ${result.cpuMsPerPartySecond} ms CPU per party-s\n`,
      );
      bare.push(result);
      return result;
    };
    for (const scenario of scenarios) {
      const comparable = scenario.pacing === 'max' && scenario.maxQueueMs > 100_000;
      let result: ScenarioResult | undefined;
      if (comparable) {
        // Bare and engine runs alternate, bare first and last: each engine run is set against the mean
        // of the bare runs on either side of it (a drift in the VM's speed cancels to first order).
        // The round with the median ratio is reported, with every ratio.
        const rounds: Array<{ result: ScenarioResult; ratio: number; steadyRatio: number; cpuRatio: number }> = [];
        const calls = { ...scenario, calls: scenario.calls as number };
        const audio = callFrames(calls);
        let before = await runBareOf(scenario.model);
        for (let r = 0; r < ROUNDS; r++) {
          process.stderr.write(`bench: ${scenario.name} (round ${r + 1} of ${ROUNDS}) ...\n`);
          // A new engine each round, warmed up right before its timed window. One engine kept for every
          // round would sit idle during the bare runs, but it is not idle then (seen: 60-340 ms of its
          // CPU inside a 5 s bare run, V8's memory reducer collecting the quiet heaps among it).
          const engine = await startEngine(calls, models[scenario.model]);
          let run: ScenarioResult;
          try {
            await warmUp(engine.httpPort, calls.calls, audio);
            run = await measure(engine, calls, audio, 'timed', true);
          } finally {
            await stopEngine(engine);
          }
          const after = await runBareOf(scenario.model);
          const bareRate = (before.partyAudioSecondsPerWallSecond + after.partyAudioSecondsPerWallSecond) / 2;
          const bareCpu = (before.cpuMsPerPartySecond + after.cpuMsPerPartySecond) / 2;
          const bareSteady = (before.steadyPartyAudioSecondsPerWallSecond + after.steadyPartyAudioSecondsPerWallSecond) / 2;
          rounds.push({
            result: run,
            ratio: run.partyAudioSecondsPerWallSecond / bareRate,
            steadyRatio: run.steadyPartyAudioSecondsPerWallSecond / bareSteady,
            cpuRatio: bareCpu / (run.cpuMsPerCallSecond / 2),
          });
          before = after;
        }
        const ratios = rounds.map((x) => x.ratio);
        const chosen = rounds.find((x) => x.ratio === median(ratios)) ?? rounds[0]!;
        const steadyRatios = rounds.map((x) => x.steadyRatio);
        result = {
          ...chosen.result,
          engineToBare: round(median(ratios)),
          cpuEfficiencyToBare: round(median(rounds.map((x) => x.cpuRatio))),
          engineToBareRounds: ratios.map(round),
          engineToBareMean: roundInterval(meanInterval(ratios)),
          steadyEngineToBare: round(median(steadyRatios)),
          steadyEngineToBareRounds: steadyRatios.map(round),
        };
      } else {
        const own = bare.filter((b) => b.model === scenario.model);
        const realTimeCalls = own.length > 0 ? median(own.map((b) => b.realTimeCalls)) : (await runBareOf(scenario.model)).realTimeCalls;
        const calls = typeof scenario.calls === 'number' ? scenario.calls : Math.max(1, Math.ceil(scenario.calls.shareOfBare * realTimeCalls));
        process.stderr.write(`bench: ${scenario.name} ...\n`);
        const sized = { ...scenario, calls };
        const engine = await startEngine(sized, models[scenario.model]);
        try {
          result = await measure(engine, sized, callFrames(scenario), 'run', false);
        } finally {
          await stopEngine(engine);
        }
      }
      const calls = result.calls;
      process.stderr.write(
        `  ${calls} calls: ${result.callAudioSecondsPerWallSecond.toFixed(1)} call-s/s${result.engineToBare !== undefined ? ` (${result.engineToBare} x bare, median of rounds ${result.engineToBareRounds!.join(' / ')}; mean ${result.engineToBareMean!.mean}, 95 % interval ${result.engineToBareMean!.low}-${result.engineToBareMean!.high}; steady state ${result.steadyEngineToBare} x, rounds ${result.steadyEngineToBareRounds!.join(' / ')}; CPU per party-s ${result.cpuEfficiencyToBare} x)` : ''}, loop p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms (${result.eventLoopMeasure}; exported metric ${result.exportedEventLoopDelayMs?.p99.toFixed(1)} ms), clients ${result.neighbourCpuMsPerCallSecond.clients} / redis ${result.neighbourCpuMsPerCallSecond.redis} ms CPU per call-s, cpu ${(result.cpuShare * 100).toFixed(0)} %, main ${result.mainThreadMsPerCallSecond.toFixed(1)} ms busy / ${result.mainThreadCpuMsPerCallSecond.toFixed(1)} ms CPU per call-s, ${result.rssPerCallMb.toFixed(1)} MB/call, dropped ${result.droppedAudioSeconds.toFixed(1)} s, ${result.streamsLent} lent${result.alertLatencyMs ? `, alert p50 ${result.alertLatencyMs.p50} p99 ${result.alertLatencyMs.p99} ms` : ''}\n`,
      );
      results.push(result);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    asrWorkers: availableParallelism(),
    bare,
    results,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(out, null, 2));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\nwritten to ${file}\n`);
}

/** The same calls' audio through bare libvosk: one thread per core, recognizers only. */
async function runBare(b: (typeof BARE)[number], modelDir: string): Promise<BareResult> {
  const lib = libvosk();
  lib.setLogLevel(-1);
  const model = lib.modelNew(modelDir);
  if (model === 0) throw new Error(`bench: libvosk could not load ${modelDir}`);
  try {
    const call = scriptedCall(b.callSeconds);
    // The engine's own decoder and resampler, untimed: the bare side gets model-rate audio for free.
    const decoder = new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, ['customer', 'agent'], MODEL_SAMPLE_RATE);
    const decoded = [...decoder.decodeInterleaved(call.bytes), ...decoder.flush()];
    const party = (name: string) => concatInt16(decoded.filter((f) => f.party === name).map((f) => f.modelRate));
    const perParty = [party('customer'), party('agent')];
    const threads = availableParallelism();
    const shares: Int16Array[][] = Array.from({ length: threads }, () => []);
    for (let i = 0; i < b.calls * 2; i++) shares[i % threads]!.push(perParty[i % 2]!.slice());
    const script = join(dirname(fileURLToPath(import.meta.url)), 'bare-worker.js');
    // Threads started and the binding loaded before the timed window, as the engine's are before its
    // own: that took ~120 ms of a ~4.7 s realistic run (both threads, ~220 ms of CPU).
    const workers = await Promise.all(
      shares.map(
        (parties) =>
          new Promise<Worker>((resolve, reject) => {
            const worker = new Worker(script, { workerData: { model, sampleRate: MODEL_SAMPLE_RATE, parties } });
            worker.once('message', () => resolve(worker));
            worker.once('error', reject);
          }),
      ),
    );
    collectHarnessGarbage();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const outcomes = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<{ finals: number; progress: Progress }>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage('go');
          }),
      ),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const partySeconds = 2 * b.calls * (call.durationMs / 1000);
    const partyRate = partySeconds / wallSeconds;
    return {
      ...b,
      threads,
      wallSeconds: round(wallSeconds),
      partyAudioSecondsPerWallSecond: round(partyRate),
      realTimeCalls: round(partyRate / 2),
      cpuMsPerPartySecond: round((cpu.user + cpu.system) / 1000 / partySeconds),
      steadyPartyAudioSecondsPerWallSecond: round(steadyRate(mergeProgress(outcomes.map((o) => o.progress))) / MODEL_SAMPLE_RATE),
      finalTranscripts: outcomes.reduce((n, o) => n + o.finals, 0),
    };
  } finally {
    lib.modelFree(model);
  }
}

function concatInt16(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * V8 settles after about this many calls through a fresh engine: warm-up batches (the scenario's own
 * calls) run until at least this many have gone through. Realistic model, 4 calls a batch, V8
 * optimizing compiles inside the timed window, and their background-thread CPU: 45 and 285 ms after
 * one batch, 28 and 219 ms after two, 12 and 34 ms after four. What still compiles after one batch
 * is re-optimization after deopts the first calls cause ("wrong map" on the per-call session and
 * audio objects while V8 finishes sizing their shapes, and on the pool and socket code seeing new
 * calls), a fresh process's start-up cost rather than one every call pays. A service past its
 * first calls is what users run. (Longer warm-ups seemed to slow the decoders; bare libvosk decoding
 * round after round in the same threads did not slow: README, "The workers do not slow down".)
 */
const WARM_UP_CALLS = 16;

/**
 * Streams the run's own calls through a new engine, untimed, before a throughput run: the engine is
 * a long-running service, and its first calls after start also pay for compiling its JavaScript (V8
 * optimizes the hot per-call paths on background threads as they run). Bare libvosk is native code
 * and has no such start-up, so a cold engine would be set against a warm reference. Whole calls, not
 * shorter ones: code that runs only later in a call (or often enough to be optimized only over a
 * whole call) is then compiled before the timed window (one batch of 10 s calls left 60 compiles
 * in the window, of 30 s calls 45). Batches of the scenario's size, WARM_UP_CALLS calls at least.
 */
async function warmUp(httpPort: number, calls: number, audio: readonly Buffer[]): Promise<void> {
  for (let batch = 0; batch * calls < WARM_UP_CALLS; batch++) {
    await Promise.all(Array.from({ length: calls }, (_, i) => streamCall(httpPort, `warm-up-${batch}-${i}`, audio, 'max')));
  }
}

/**
 * A full GC of this (the bench's) process before a timed window. Preparing a run leaves tens of MB
 * of garbage here (a bare run's model-rate audio, the next call's frames); V8 collects it once the
 * process goes quiet, which is during the next timed run, on the cores being measured (seen: a 30 ms
 * Mark-Compact plus concurrent marking inside an engine run). `npm run bench` exposes gc; without it
 * this does nothing.
 */
function collectHarnessGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** An engine under benchmark: its child process, on its own Redis key prefix. */
interface BenchEngine {
  child: ChildProcess;
  ask: ReturnType<typeof forkEngine>['ask'];
  httpPort: number;
  prefix: string;
}

/** Starts the engine child for a scenario: the bench config, or config/voc.yaml's analytics ('shipped'). */
async function startEngine(scenario: Scenario & { calls: number }, modelDir: string): Promise<BenchEngine> {
  const prefix = `vocbench:${scenario.name}:${Date.now()}`;
  // VOC_BENCH_NODE_ARGS passes node flags to the engine process only, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const execArgv = process.env.VOC_BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const { child, ask } = forkEngine(execArgv);
  const shipped = scenario.config === 'shipped' ? shippedConfig() : undefined;
  try {
    await ask(undefined, 'ready');
    const started = await ask(
      {
        cmd: 'start',
        config: {
          server: { port: 0, host: '127.0.0.1', maxMessageBytes: 1024 * 1024 },
          grpc: { enabled: false },
          redis: { url: REDIS_URL, prefix, retentionMs: 60_000 },
          model: { path: modelDir, autoDownload: false },
          // Max pacing fills the workers' queues at once, which the backlog admission (rightly) reads as
          // overload: the throughput scenarios take every call so they compare with bare libvosk's.
          asr: { ...benchAsrOverrides(), maxQueueMs: scenario.maxQueueMs, ...(scenario.pacing === 'max' ? { admissionBacklogMs: 24 * 3600_000 } : {}), ...shipped?.asr },
          // The bench sets the load itself; the default admission is measured separately (capacity log line).
          limits: { maxConcurrentCalls: Math.max(scenario.calls, 1) },
          ...(shipped ? { analytics: shipped.analytics, keywords: shipped.keywords } : { keywords: [CHURN] }),
          ...(scenario.analytics ? {} : { analytics: { enabled: false } }),
          logging: { level: 'warn' },
        },
      },
      'started',
    );
    return { child, ask, httpPort: started.httpPort as number, prefix };
  } catch (err) {
    await exitEngine(child);
    throw err;
  }
}

async function stopEngine(engine: BenchEngine): Promise<void> {
  await exitEngine(engine.child);
  await deleteKeys(REDIS_URL, engine.prefix);
}

/** The scenario's calls as WebSocket frames: 20 ms frames for realtime pacing, 100 ms for max. */
function callFrames(scenario: Scenario): Buffer[] {
  return frames(scriptedCall(scenario.callSeconds), 8000, scenario.pacing === 'realtime' ? 20 : 100);
}

/**
 * One timed window: the scenario's calls (`audio`, from callFrames) through a running engine (call ids `<name>-<label>-<i>`).
 * `warmedUp`: the engine has taken calls before (throughput rounds, see warmUp); realtime runs
 * measure it from its start, RSS included.
 */
async function measure(
  engine: BenchEngine,
  scenario: Scenario & { calls: number },
  audio: readonly Buffer[],
  label: string,
  warmedUp: boolean,
): Promise<ScenarioResult> {
  const { ask, httpPort, prefix } = engine;
  // A Redis subscriber, as a consumer of alerts sees them (same clock as the clients below).
  const subscriber = new Redis(REDIS_URL);
  const alertsSeen: Array<{ callId: string; endMs: number; at: number }> = [];
  subscriber.on('message', (_channel: string, json: string) => {
    const at = performance.now();
    const alert = JSON.parse(json) as { type: string; callId: string; endMs?: number };
    if (alert.type === 'alert' && typeof alert.endMs === 'number') alertsSeen.push({ callId: alert.callId, endMs: alert.endMs, at });
  });
  await subscriber.subscribe(`${prefix}:alerts`);
  const redisCpu = await redisCpuMs();
  collectHarnessGarbage();
  const clientCpu = process.cpuUsage();
  // The engine records its progress (party-seconds decoded over time) itself, for the steady-state rate.
  const idle = await ask({ cmd: 'begin', loop: scenario.pacing === 'realtime' ? 'raw-1ms' : 'engine', sampleMs: scenario.pacing === 'max' ? 50 : 250 }, 'begun');
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: scenario.calls }, (_, i) => streamCall(httpPort, `${scenario.name}-${label}-${i}`, audio, scenario.pacing)),
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  const clientCpuUsed = process.cpuUsage(clientCpu);
  const redisCpuUsed = (await redisCpuMs()) - redisCpu;
  await new Promise((r) => setTimeout(r, 200)); // the last alerts' pub/sub messages
  subscriber.disconnect();
  const sentAt = new Map(outcomes.map((o) => [o.callId, o.firstFrameAt]));
  const latencies = alertsSeen
    .filter((a) => sentAt.get(a.callId) !== undefined)
    .map((a) => a.at - (sentAt.get(a.callId)! + a.endMs))
    .sort((x, y) => x - y);
  const end = await ask({ cmd: 'end' }, 'ended');
  const callAudioSeconds = scenario.calls * scenario.callSeconds;
  const cpuMs = (end.cpuUserMs as number) + (end.cpuSystemMs as number);
  const admitted = outcomes.filter((o) => !o.refused).length;
  const peakRss = end.peakRss as number;
  const idleRss = idle.rss as number;
  return {
    ...scenario,
    wallSeconds: round(wallSeconds),
    callAudioSeconds,
    callAudioSecondsPerWallSecond: round(callAudioSeconds / wallSeconds),
    partyAudioSecondsPerWallSecond: round((2 * callAudioSeconds) / wallSeconds),
    steadyPartyAudioSecondsPerWallSecond: round(steadyRate(end.progress as Progress)),
    eventLoopDelayMs: end.eventLoopDelayMs as ScenarioResult['eventLoopDelayMs'],
    eventLoopMeasure: end.eventLoopMeasure as string,
    exportedEventLoopDelayMs: end.exportedEventLoopDelayMs as ScenarioResult['exportedEventLoopDelayMs'],
    cpuMsPerCallSecond: round(cpuMs / callAudioSeconds),
    mainThreadMsPerCallSecond: round((end.mainThreadBusyMs as number) / callAudioSeconds),
    mainThreadCpuMsPerCallSecond: round((end.mainThreadCpuMs as number) / callAudioSeconds),
    otherThreadsCpuMs: end.otherThreadsCpuMs as number[],
    neighbourCpuMsPerCallSecond: { clients: round((clientCpuUsed.user + clientCpuUsed.system) / 1000 / callAudioSeconds), redis: round(redisCpuUsed / callAudioSeconds) },
    cpuShare: round(cpuMs / (wallSeconds * 1000 * availableParallelism())),
    warmedUp,
    idleRssMb: round(idleRss / 2 ** 20),
    peakRssMb: round(peakRss / 2 ** 20),
    rssPerCallMb: round((peakRss - idleRss) / 2 ** 20 / scenario.calls),
    droppedAudioSeconds: round(end.droppedAudioSeconds as number),
    streamsLent: end.streamsLent as number,
    finalTranscripts: outcomes.reduce((a, o) => a + o.finals, 0),
    alerts: outcomes.reduce((a, o) => a + o.alerts, 0),
    ...(scenario.pacing === 'realtime' && latencies.length > 0
      ? { alertLatencyMs: { p50: Math.round(percentile(latencies, 0.5)), p99: Math.round(percentile(latencies, 0.99)), count: latencies.length } }
      : {}),
    refusedCalls: scenario.calls - admitted,
  };
}

/** VOC_BENCH_ASR: asr settings (JSON) for every engine scenario, e.g. '{"workers":4}' or '{"rebalanceGapMs":0}'. */
function benchAsrOverrides(): Record<string, unknown> {
  const json = process.env.VOC_BENCH_ASR;
  if (!json) return {};
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('VOC_BENCH_ASR must be a JSON object of asr settings');
  return parsed as Record<string, unknown>;
}

/** The Redis server's own CPU time so far (INFO cpu), ms. */
async function redisCpuMs(): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } finally {
    redis.disconnect();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function roundInterval(i: { mean: number; low: number; high: number }): { mean: number; low: number; high: number } {
  return { mean: round(i.mean), low: round(i.low), high: round(i.high) };
}

await main();
