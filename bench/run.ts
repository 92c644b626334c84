/**
 * `npm run bench`: throughput, event-loop delay and memory of the engine under N concurrent calls,
 * on the cheap tiny model (engine overhead) and on a tiny model padded to cost what a real small
 * Vosk model costs (calls per core), with analytics on and off. Results: bench/results/<date>.json.
 *
 * Each scenario starts the engine in a child process (bench/service-child.ts) on its own Redis key
 * prefix and streams generated stereo mu-law 8 kHz calls over real WebSockets as fast as the
 * engine takes them.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { buildCallAudio, frames, type GeneratedCall, type ScriptLine } from '../src/asr/tiny-model/call-script.js';
import { deleteKeys, ipc } from './child-ipc.js';
import { generateTinyModel } from '../src/asr/tiny-model/generate.js';

interface Scenario {
  name: string;
  model: 'tiny' | 'realistic-cost';
  calls: number;
  callSeconds: number;
  analytics: boolean;
  /** Per-party ASR queue limit; small values show the drop policy under overload. */
  maxQueueMs: number;
  /** 'max': each client sends as fast as the engine takes it (throughput); 'realtime': 20 ms frames every 20 ms, as telephony does. */
  pacing: 'max' | 'realtime';
}

interface ScenarioResult extends Scenario {
  wallSeconds: number;
  callAudioSeconds: number;
  callAudioSecondsPerWallSecond: number;
  partyAudioSecondsPerWallSecond: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  cpuMsPerCallSecond: number;
  idleRssMb: number;
  peakRssMb: number;
  rssPerCallMb: number;
  droppedAudioSeconds: number;
  finalTranscripts: number;
  alerts: number;
}


const SCENARIOS: Scenario[] = [
  { name: 'tiny-1-call', model: 'tiny', calls: 1, callSeconds: 60, analytics: true, maxQueueMs: 600_000, pacing: 'max' },
  { name: 'tiny-16-calls', model: 'tiny', calls: 16, callSeconds: 60, analytics: true, maxQueueMs: 600_000, pacing: 'max' },
  { name: 'tiny-16-calls-no-analytics', model: 'tiny', calls: 16, callSeconds: 60, analytics: false, maxQueueMs: 600_000, pacing: 'max' },
  { name: 'realistic-4-calls', model: 'realistic-cost', calls: 4, callSeconds: 30, analytics: true, maxQueueMs: 600_000, pacing: 'max' },
  // Live calls as a telephony platform sends them: the event-loop delay and memory an SRE will see.
  { name: 'tiny-48-calls-realtime', model: 'tiny', calls: 48, callSeconds: 30, analytics: true, maxQueueMs: 10_000, pacing: 'realtime' },
  { name: 'tiny-48-calls-realtime-no-analytics', model: 'tiny', calls: 48, callSeconds: 30, analytics: false, maxQueueMs: 10_000, pacing: 'realtime' },
  { name: 'realistic-12-calls-realtime', model: 'realistic-cost', calls: 12, callSeconds: 30, analytics: true, maxQueueMs: 10_000, pacing: 'realtime' },
  // Overload: audio arrives far faster than decoding with a 2 s queue: shows drop-newest and its count.
  { name: 'realistic-overload-drop', model: 'realistic-cost', calls: 4, callSeconds: 30, analytics: true, maxQueueMs: 2_000, pacing: 'max' },
];

const REDIS_URL = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

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

  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      process.stderr.write(`bench: ${scenario.name} ...\n`);
      const result = await runScenario(scenario, models[scenario.model]);
      process.stderr.write(`  ${result.callAudioSecondsPerWallSecond.toFixed(1)} call-s/s, loop p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms, ${result.rssPerCallMb.toFixed(1)} MB/call, cpu ${result.cpuMsPerCallSecond.toFixed(1)} ms per call-s, dropped ${result.droppedAudioSeconds.toFixed(1)} s\n`);
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
    results,
  };
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(out, null, 2));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\nwritten to ${file}\n`);
}

async function runScenario(scenario: Scenario, modelDir: string): Promise<ScenarioResult> {
  const prefix = `vocbench:${scenario.name}:${Date.now()}`;
  // VOC_BENCH_NODE_ARGS passes node flags to the engine process only, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const execArgv = process.env.VOC_BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const env = process.env;
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'service-child.js'), { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = ipc(child);
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
          asr: { maxQueueMs: scenario.maxQueueMs },
          analytics: { enabled: scenario.analytics },
          keywords: [{ name: 'churn', phrases: ['cancel account'], party: 'customer', severity: 'high' }],
          logging: { level: 'warn' },
        },
      },
      'started',
    );
    const httpPort = started.httpPort as number;
    const call = scriptedCall(scenario.callSeconds);
    const callFrames = frames(call, 8000, scenario.pacing === 'realtime' ? 20 : 100);
    const idle = await ask({ cmd: 'begin' }, 'begun');
    const sampler = setInterval(() => void ask({ cmd: 'sample' }, 'sampled').catch(() => undefined), 250);
    const t0 = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: scenario.calls }, (_, i) => streamCall(httpPort, `${scenario.name}-${i}`, callFrames, scenario.pacing)),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const end = await ask({ cmd: 'end' }, 'ended');
    const callAudioSeconds = scenario.calls * (call.durationMs / 1000);
    const cpuMs = (end.cpuUserMs as number) + (end.cpuSystemMs as number);
    const peakRss = end.peakRss as number;
    const idleRss = idle.rss as number;
    return {
      ...scenario,
      wallSeconds: round(wallSeconds),
      callAudioSeconds,
      callAudioSecondsPerWallSecond: round(callAudioSeconds / wallSeconds),
      partyAudioSecondsPerWallSecond: round((2 * callAudioSeconds) / wallSeconds),
      eventLoopDelayMs: end.eventLoopDelayMs as ScenarioResult['eventLoopDelayMs'],
      cpuMsPerCallSecond: round(cpuMs / callAudioSeconds),
      idleRssMb: round(idleRss / 2 ** 20),
      peakRssMb: round(peakRss / 2 ** 20),
      rssPerCallMb: round((peakRss - idleRss) / 2 ** 20 / scenario.calls),
      droppedAudioSeconds: round(end.droppedAudioSeconds as number),
      finalTranscripts: outcomes.reduce((a, o) => a + o.finals, 0),
      alerts: outcomes.reduce((a, o) => a + o.alerts, 0),
    };
  } finally {
    child.send({ cmd: 'exit' });
    await new Promise((r) => child.once('exit', r));
    await deleteKeys(REDIS_URL, prefix);
  }
}

/** A call that keeps both parties talking: tone words every few seconds, alternating. */
function scriptedCall(seconds: number): GeneratedCall {
  const lines: ScriptLine[] = [];
  const phrases = ['hello recorded verify', 'cancel account refund', 'supervisor guaranteed', 'thanks hello'];
  for (let t = 500, i = 0; t < seconds * 1000 - 3000; t += 2500, i++) {
    lines.push({ party: i % 2 === 0 ? 'agent' : 'customer', atMs: t, text: phrases[i % phrases.length]! });
  }
  return buildCallAudio(lines, { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: seconds * 1000 });
}

function streamCall(port: number, callId: string, audio: readonly Buffer[], pacing: Scenario['pacing']): Promise<{ finals: number; alerts: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`);
    let finals = 0;
    let alerts = 0;
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; final?: boolean; code?: string };
      if (message.type === 'started') void (pacing === 'realtime' ? sendPaced(socket, audio, 20) : sendAll(socket, audio));
      else if (message.type === 'transcript' && message.final) finals++;
      else if (message.type === 'alert') alerts++;
      else if (message.type === 'error') reject(new Error(`call ${callId}: ${message.code}`));
      else if (message.type === 'summary') resolve({ finals, alerts });
    });
    socket.on('error', reject);
  });
}

/** Sends as fast as the socket drains, so the engine, not the client, sets the pace. */
/** One frame every `frameMs` on a drift-free schedule, like a media server. */
async function sendPaced(socket: WebSocket, audio: readonly Buffer[], frameMs: number): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < audio.length; i++) {
    const wait = t0 + i * frameMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    socket.send(audio[i]!);
  }
  socket.send(JSON.stringify({ type: 'stop' }));
}

async function sendAll(socket: WebSocket, audio: readonly Buffer[]): Promise<void> {
  for (const frame of audio) {
    if (socket.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 1));
    socket.send(frame);
  }
  socket.send(JSON.stringify({ type: 'stop' }));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
