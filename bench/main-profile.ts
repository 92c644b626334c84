/**
 * `npm run bench:main-profile [-- <calls> <seconds>]`: where the engine's MAIN thread spends its CPU,
 * per second of call audio, by module. Real-time tiny-model calls (stereo mu-law 8 kHz, 20 ms frames,
 * config/voc.yaml's analytics) stream into an engine child run with --cpu-prof; the main thread's
 * CPU time comes from the kernel (schedstat: CPU time, not wall time, so a busy shared machine does
 * not inflate it) and is split by module in proportion to the profile's samples in the measured
 * window. Each sample goes to the innermost frame that belongs to a known module (so a builtin such
 * as postMessage counts for the module that called it). Results: bench/results/main-profile-latest.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frames } from '../src/asr/tiny-model/call-script.js';
import { generateTinyModel } from '../src/asr/tiny-model/generate.js';
import { ROOT, scriptedCall, shippedConfig, streamCall } from './calls.js';
import { deleteKeys, exitEngine, forkEngine } from './child-ipc.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Module buckets, first match wins (paths as in dist/). */
const MODULES: Array<[string, RegExp]> = [
  ['audio: resample', /\/src\/audio\/resampler\.js/],
  ['audio: pitch (YIN)', /\/src\/audio\/features\/pitch\.js/],
  ['audio: frame analyzer (VAD, loudness, tilt)', /\/src\/audio\/features\//],
  ['audio: decode, deinterleave, rechunk', /\/src\/audio\//],
  ['asr: model-fit check', /\/src\/asr\/model-fit\.js/],
  ['asr: worker proxy (post, results)', /\/src\/asr\//],
  ['analytics: raised tone', /\/src\/analytics\/(raised-tone|baseline)\.js/],
  ['analytics: talk activity', /\/src\/analytics\/talk-activity\.js/],
  ['analytics: emotion curve, sentiment, measures', /\/src\/analytics\/(emotion-curve|sentiment|measures|talk-speed|text-measures)\.js/],
  ['analytics: keywords, rules, redaction, VoC', /\/src\/analytics\//],
  ['session', /\/src\/session\//],
  ['ingest (protocols)', /\/src\/ingest\//],
  ['publish (Redis)', /\/src\/publish\/|node_modules\/ioredis|node_modules\/redis-/],
  ['metrics, logs', /\/src\/(metrics|log)\/|node_modules\/(prom-client|pino)/],
  ['rxjs', /node_modules\/rxjs/],
  ['ws (WebSocket)', /node_modules\/ws\//],
  ['zod', /node_modules\/zod/],
  ['other project code', /\/src\/|\/bench\//],
  ['other packages', /node_modules/],
  ['node internals (net, streams, messaging)', /^node:/],
];

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 16);
  const callSeconds = Number(process.argv[3] ?? 30);
  const work = mkdtempSync(join(tmpdir(), 'voc-main-profile-'));
  const profDir = join(work, 'prof');
  const modelDir = join(work, 'tiny');
  generateTinyModel(modelDir);
  const prefix = `vocbench:main-profile:${Date.now()}`;
  const redisUrl = process.env.VOC_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const { child, ask } = forkEngine(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  try {
    await ask(undefined, 'ready');
    const started = await ask(
      {
        cmd: 'start',
        config: {
          server: { port: 0, host: '127.0.0.1' },
          grpc: { enabled: false },
          redis: { url: redisUrl, prefix, retentionMs: 60_000 },
          model: { path: modelDir, autoDownload: false },
          limits: { maxConcurrentCalls: calls },
          ...shippedConfig(),
          logging: { level: 'warn' },
        },
      },
      'started',
    );
    const call = scriptedCall(callSeconds);
    const callFrames = frames(call, 8000, 20);
    await ask({ cmd: 'begin', loop: 'raw-1ms' }, 'begun');
    const outcomes = await Promise.all(Array.from({ length: calls }, (_, i) => streamCall(started.httpPort as number, `prof-${i}`, callFrames, 'realtime')));
    const end = await ask({ cmd: 'end' }, 'ended');
    await exitEngine(child);
    const window = end.window as { beginUs: number; endUs: number };
    // Refused calls (admission) sent no audio: only admitted calls count.
    const admitted = outcomes.filter((o) => !o.refused).length;
    const callAudioSeconds = admitted * (call.durationMs / 1000);
    const mainCpuMs = end.mainThreadCpuMs as number;
    const profile = mainProfile(profDir);
    // VOC_PROFILE_KEEP=<file>: keep the main thread's profile (open it in Chrome DevTools).
    if (process.env.VOC_PROFILE_KEEP) writeFileSync(process.env.VOC_PROFILE_KEEP, JSON.stringify(profile));
    const shares = moduleShares(profile, window.beginUs, window.endUs);
    const rows = Object.entries(shares.byModule)
      .sort((a, b) => b[1] - a[1])
      .map(([module, samples]) => ({ module, share: round(samples / shares.total, 3), msPerCallSecond: round(((samples / shares.total) * mainCpuMs) / callAudioSeconds, 3) }));
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      commit: process.env.VOC_BENCH_COMMIT,
      calls,
      callSeconds,
      refused: calls - admitted,
      finals: outcomes.reduce((n, o) => n + o.finals, 0),
      alerts: outcomes.reduce((n, o) => n + o.alerts, 0),
      /** Audio the recognizers could not take (queue full: the machine was over capacity). */
      droppedAudioSeconds: round(end.droppedAudioSeconds as number, 1),
      mainThreadCpuMsPerCallSecond: round(mainCpuMs / callAudioSeconds, 3),
      processCpuMsPerCallSecond: round(((end.cpuUserMs as number) + (end.cpuSystemMs as number)) / callAudioSeconds, 3),
      profileSamples: shares.total,
      modules: rows,
      /** The 25 functions with the most self samples (leaf frames). */
      topFunctions: Object.entries(shares.byFunction)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([fn, samples]) => ({ function: fn, share: round(samples / shares.total, 3) })),
    };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main-profile-latest.json'), JSON.stringify(out, null, 2));
    process.stdout.write(
      `main thread: ${out.mainThreadCpuMsPerCallSecond} ms CPU per call-second (process: ${out.processCpuMsPerCallSecond}); ${out.finals} finals, ${out.alerts} alerts, ${out.droppedAudioSeconds} s of audio dropped, ${out.refused} calls refused\n`,
    );
    for (const r of rows) process.stdout.write(`  ${r.msPerCallSecond.toFixed(3).padStart(7)} ms  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.module}\n`);
    process.stdout.write('top functions (self):\n');
    for (const f of out.topFunctions) process.stdout.write(`  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.function}\n`);
  } finally {
    if (child.exitCode === null) child.kill();
    await deleteKeys(redisUrl, prefix);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The main thread's profile: --cpu-prof names it CPU.<date>.<pid>.0.<seq>.cpuprofile (workers get thread ids > 0). */
function mainProfile(dir: string): CpuProfile {
  const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!file) throw new Error(`no main-thread profile in ${dir}: ${readdirSync(dir).join(', ')}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
}

/** Samples per module inside [beginUs, endUs]; idle samples are not CPU and are left out. */
function moduleShares(profile: CpuProfile, beginUs: number, endUs: number): { byModule: Record<string, number>; byFunction: Record<string, number>; total: number } {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const cache = new Map<number, string | null>();
  const moduleOf = (id: number): string | null => {
    if (cache.has(id)) return cache.get(id)!;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let result: string | null;
    if (name === '(idle)') result = null;
    else if (name === '(garbage collector)') result = 'GC';
    else {
      const url = node.callFrame.url;
      const hit = url ? MODULES.find(([, re]) => re.test(url)) : undefined;
      if (hit) result = hit[0];
      else {
        const up = parent.get(id);
        result = up === undefined ? '(program, native)' : (moduleOf(up) ?? '(program, native)');
        if (up !== undefined && byId.get(up)!.callFrame.functionName === '(root)') result = name === '(program)' ? '(program, native)' : `native: ${name || 'anonymous'}`;
      }
    }
    cache.set(id, result);
    return result;
  };
  const byModule: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < beginUs || t > endUs) continue;
    const module = moduleOf(profile.samples[i]!);
    if (module === null) continue;
    byModule[module] = (byModule[module] ?? 0) + 1;
    const leaf = byId.get(profile.samples[i]!)!.callFrame;
    const name = `${leaf.functionName || '(anonymous)'} ${leaf.url.replace(/^.*\/(src|node_modules)\//, '$1/')}`.trim();
    byFunction[name] = (byFunction[name] ?? 0) + 1;
    total++;
  }
  return { byModule, byFunction, total };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

await main();
