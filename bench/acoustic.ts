/**
 * `npm run bench:acoustic` (also the last step of `npm run bench`): CPU of the acoustic measures per
 * second of call audio: frame features (level, VAD, YIN pitch, spectral tilt) and the raised-tone
 * detector, on the main thread as a live call runs them, at 8 kHz mu-law and 16 kHz PCM16.
 *
 * It sets the current detector against the one before issue 9 (commit b3cd3ed's parent, or
 * VOC_BENCH_OLD_REF): that commit's raised-tone.ts, baseline.ts, measures-options.ts and
 * src/audio/features/ are read with `git show`, transpiled by esbuild into dist/ (never committed) and
 * run on the same audio with their own defaults. Each side runs `VOC_BENCH_REPEATS` (7) times,
 * alternating, and reports the median CPU time (process.cpuUsage, user + system: the machine may be
 * busy, wall time would measure the neighbours). The audio is espeak-ng speech (calm and raised
 * sentences, two parties taking turns) through sox, so pitch runs on voiced speech as on a real call.
 * On a busy machine CPU time still varies from run to run (cache and core sharing); with valgrind
 * installed, `VOC_BENCH_INSTRUCTIONS=1` also counts the instructions of the same passes under
 * callgrind (each side in a child process: instructions of setup + passes minus setup alone, per
 * call-second), a count that does not depend on the neighbours.
 * Results: bench/results/acoustic-latest.json (and a dated copy).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { count } from 'rxjs/operators';
import { mulawDecode, mulawEncode } from '../src/audio/g711.js';
import { median } from './stats.js';
import type { PartyPcm } from '../src/audio/format.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OLD_REF = process.env.VOC_BENCH_OLD_REF ?? 'b3cd3ed^';
const REPEATS = Number(process.env.VOC_BENCH_REPEATS ?? 7);
const CALL_SECONDS = 120;
const OLD_FILES = ['src/analytics/raised-tone.ts', 'src/analytics/baseline.ts', 'src/analytics/measures-options.ts'];

/** What the bench needs of a detector version (both versions have these exports). */
interface AcousticModules {
  partyFrames: (audio$: Observable<PartyPcm>, options: unknown) => Observable<unknown>;
  raisedToneFromFrames: (frames$: Observable<unknown>, options: unknown) => Observable<unknown>;
  defaultMeasuresOptions: () => { frames: unknown; raisedTone: unknown };
}

interface Side {
  name: string;
  source: string;
  /** Median CPU per second of call audio (2 parties), ms. */
  cpuMsPerCallSecond: number;
  minCpuMsPerCallSecond: number;
  maxCpuMsPerCallSecond: number;
  /** Frame features alone (no raised tone), median ms per call-second. */
  framesCpuMsPerCallSecond: number;
  alerts: number;
}

interface FormatResult {
  format: string;
  sampleRate: number;
  callSeconds: number;
  current: Side;
  before?: Side;
  /** current - before, ms per call-second (the issue allows at most +1). */
  growthMsPerCallSecond?: number;
  /** Callgrind instruction counts per call-second (VOC_BENCH_INSTRUCTIONS=1). */
  instructionsPerCallSecond?: { current: number; before?: number };
}

const FORMATS = [
  { name: 'mulaw-8k', rate: 8000, mulaw: true },
  { name: 'pcm16-16k', rate: 16000, mulaw: false },
];
const INSTRUCTION_PASSES = 2;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'voc-bench-acoustic-'));
  const oldDir = join(ROOT, 'dist', `bench-old-detector-${process.pid}`);
  try {
    const current = (await loadModules(join(ROOT, 'dist', 'src'))) as AcousticModules;
    let before: AcousticModules | undefined;
    let oldError: string | undefined;
    try {
      before = await loadOldModules(oldDir);
    } catch (err) {
      oldError = err instanceof Error ? err.message : String(err);
      process.stderr.write(`bench acoustic: the detector before issue 9 (${OLD_REF}) is not available: ${oldError}\n`);
    }
    const results: FormatResult[] = [];
    for (const format of FORMATS) {
      process.stderr.write(`bench acoustic: ${format.name} ...\n`);
      const parties = callAudio(work, format.rate, format.mulaw);
      const packets = toPackets(parties, format.rate);
      const sides: Array<{ name: string; source: string; modules: AcousticModules }> = [{ name: 'current', source: 'working tree (dist/)', modules: current }];
      if (before) sides.push({ name: 'before', source: `${OLD_REF}: ${[...OLD_FILES, 'src/audio/features/'].join(', ')}`, modules: before });
      const samples = new Map<string, { full: number[]; frames: number[]; alerts: number }>(sides.map((s) => [s.name, { full: [], frames: [], alerts: 0 }]));
      // Warm-up (JIT), then alternate the sides so that a busy spell hits both alike.
      for (const side of sides) await run(side.modules, packets, true);
      for (let i = 0; i < REPEATS; i++) {
        for (const side of sides) {
          const s = samples.get(side.name)!;
          const full = await run(side.modules, packets, true);
          s.full.push(full.cpuMs / CALL_SECONDS);
          s.alerts = full.alerts;
          s.frames.push((await run(side.modules, packets, false)).cpuMs / CALL_SECONDS);
        }
      }
      const summary = (side: (typeof sides)[number]): Side => {
        const s = samples.get(side.name)!;
        return {
          name: side.name,
          source: side.source,
          cpuMsPerCallSecond: round(median(s.full)),
          minCpuMsPerCallSecond: round(Math.min(...s.full)),
          maxCpuMsPerCallSecond: round(Math.max(...s.full)),
          framesCpuMsPerCallSecond: round(median(s.frames)),
          alerts: s.alerts,
        };
      };
      const result: FormatResult = { format: format.name, sampleRate: format.rate, callSeconds: CALL_SECONDS, current: summary(sides[0]!) };
      if (sides[1]) {
        result.before = summary(sides[1]);
        result.growthMsPerCallSecond = round(result.current.cpuMsPerCallSecond - result.before.cpuMsPerCallSecond);
      }
      if (process.env.VOC_BENCH_INSTRUCTIONS === '1') {
        const current = instructionsPerCallSecond(join(ROOT, 'dist', 'src'), format.name);
        result.instructionsPerCallSecond = { current, ...(before ? { before: instructionsPerCallSecond(join(oldDir, 'src'), format.name) } : {}) };
        process.stderr.write(`  instructions per call-s: ${JSON.stringify(result.instructionsPerCallSecond)}\n`);
      }
      process.stderr.write(
        `  current ${result.current.cpuMsPerCallSecond} ms per call-s (frames ${result.current.framesCpuMsPerCallSecond})` +
          (result.before ? `, before ${result.before.cpuMsPerCallSecond} (frames ${result.before.framesCpuMsPerCallSecond}), growth ${result.growthMsPerCallSecond}` : '') +
          '\n',
      );
      results.push(result);
    }
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      repeats: REPEATS,
      what: 'main-thread CPU (process.cpuUsage user+system) of frame features + raised tone per second of a 2-party call; median of the repeats',
      ...(oldError !== undefined ? { beforeUnavailable: oldError } : {}),
      results,
    };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `acoustic-${out.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(out, null, 2));
    writeFileSync(join(dir, 'acoustic-latest.json'), JSON.stringify(out, null, 2));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\nwritten to ${file}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(oldDir, { recursive: true, force: true });
  }
}

/** Instructions (callgrind) of INSTRUCTION_PASSES passes of the modules under `srcDir`, per call-second. */
function instructionsPerCallSecond(srcDir: string, format: string): number {
  const collected = (passes: number): number => {
    const out = join(tmpdir(), `voc-callgrind-${process.pid}.out`);
    const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, fileURLToPath(import.meta.url), '--child', srcDir, format, String(passes)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    rmSync(out, { force: true });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`callgrind failed (${r.status}): ${r.error?.message ?? r.stderr.slice(-500)}`);
    return Number(m[1]);
  };
  const setup = collected(0);
  const full = collected(INSTRUCTION_PASSES);
  return Math.round((full - setup) / INSTRUCTION_PASSES / CALL_SECONDS);
}

/** Child of instructionsPerCallSecond: load the modules, build the audio, run `passes` passes. */
async function child(srcDir: string, formatName: string, passes: number): Promise<void> {
  const format = FORMATS.find((f) => f.name === formatName);
  if (!format || !existsSync(srcDir)) throw new Error(`bench acoustic --child: bad arguments ${srcDir} ${formatName}`);
  const work = mkdtempSync(join(tmpdir(), 'voc-bench-acoustic-'));
  try {
    const modules = (await loadModules(srcDir)) as AcousticModules;
    const packets = toPackets(callAudio(work, format.rate, format.mulaw), format.rate);
    for (let i = 0; i < passes; i++) await run(modules, packets, true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function loadModules(srcDir: string): Promise<unknown> {
  const url = (path: string): string => pathToFileURL(join(srcDir, path)).href;
  const [frames, tone, options] = await Promise.all([
    import(url('audio/features/party-frames.js')),
    import(url('analytics/raised-tone.js')),
    import(url('analytics/measures-options.js')),
  ]);
  return { partyFrames: frames.partyFrames, raisedToneFromFrames: tone.raisedToneFromFrames, defaultMeasuresOptions: options.defaultMeasuresOptions };
}

/** The old detector's files, transpiled into `dir` (under dist/, so its imports of rxjs and zod resolve). */
async function loadOldModules(dir: string): Promise<AcousticModules> {
  const features = execFileSync('git', ['-C', ROOT, 'ls-tree', '--name-only', `${OLD_REF}`, 'src/audio/features/'], { encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.endsWith('.ts'));
  for (const path of [...OLD_FILES, ...features]) {
    const source = execFileSync('git', ['-C', ROOT, 'show', `${OLD_REF}:${path}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022' });
    const out = join(dir, path.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, code);
  }
  return (await loadModules(join(dir, 'src'))) as AcousticModules;
}

/** CPU of one pass over the call: frame features, plus raised tone when `tone`. */
async function run(modules: AcousticModules, packets: PartyPcm[], tone: boolean): Promise<{ cpuMs: number; alerts: number }> {
  const options = modules.defaultMeasuresOptions();
  let alerts = 0;
  const start = process.cpuUsage();
  const frames$ = modules.partyFrames(from(packets), options.frames);
  if (tone) {
    const outputs = await lastValueFrom(modules.raisedToneFromFrames(frames$, options.raisedTone).pipe(count((o) => (o as { kind: string }).kind === 'alert')));
    alerts = outputs;
  } else {
    await lastValueFrom(frames$.pipe(count()));
  }
  const used = process.cpuUsage(start);
  return { cpuMs: (used.user + used.system) / 1000, alerts };
}

const CALM = [
  'Hello, thank you for calling customer support, my name is Alex.',
  'I can see your account here, give me just a moment to pull up the details.',
  'It looks like your last payment was received on the fourteenth of the month.',
  'The charge you are asking about is for the premium package you added in March.',
  'I understand, let me check whether that change was made on your request.',
  'According to our notes, the upgrade was ordered online from your account.',
];
const RAISED = ['No, this is completely unacceptable, I never ordered anything like that!', 'I want this charge removed right now, not in five business days!'];

/** Two parties taking turns for CALL_SECONDS: the agent calm, the customer calm then raised then calm. */
function callAudio(work: string, rate: number, mulaw: boolean): { customer: Int16Array; agent: Int16Array } {
  const total = CALL_SECONDS * rate;
  const customer = new Int16Array(total);
  const agent = new Int16Array(total);
  let at = Math.round(0.5 * rate);
  for (let turn = 0; at < total; turn++) {
    const isCustomer = turn % 2 === 1;
    const raised = isCustomer && turn % 8 === 5;
    const text = raised ? RAISED[turn % RAISED.length]! : CALM[turn % CALM.length]!;
    const speech = say(work, text, isCustomer ? 'en-us+f3' : 'en-us', raised, rate);
    const track = isCustomer ? customer : agent;
    track.set(speech.subarray(0, Math.max(0, Math.min(speech.length, total - at))), at);
    at += speech.length + Math.round(0.6 * rate);
  }
  const line = (pcm: Int16Array): Int16Array => (mulaw ? mulawDecode(mulawEncode(pcm)) : pcm);
  return { customer: line(customer), agent: line(agent) };
}

const spoken = new Map<string, Int16Array>();

function say(work: string, text: string, voice: string, raised: boolean, rate: number): Int16Array {
  const key = `${voice}|${raised}|${rate}|${text}`;
  const cached = spoken.get(key);
  if (cached) return cached;
  const wav = join(work, 'say.wav');
  const raw = join(work, 'say.raw');
  const style = raised ? ['-a', '190', '-p', '75', '-s', '175'] : ['-a', '60', '-p', '40', '-s', '160'];
  const e = spawnSync('espeak-ng', ['-w', wav, ...style, '-v', voice, text], { encoding: 'utf8' });
  if (e.status !== 0) throw new Error(`bench acoustic needs espeak-ng: ${e.error?.message ?? e.stderr}`);
  const s = spawnSync('sox', [wav, '-r', String(rate), '-c', '1', '-e', 'signed', '-b', '16', '-t', 'raw', raw], { encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`bench acoustic needs sox: ${s.error?.message ?? s.stderr}`);
  const bytes = readFileSync(raw);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1).slice();
  spoken.set(key, pcm);
  return pcm;
}

/** 20 ms packets of both parties, interleaved by time, as a live call delivers them. */
function toPackets(parties: { customer: Int16Array; agent: Int16Array }, rate: number): PartyPcm[] {
  const size = rate / 50;
  const out: PartyPcm[] = [];
  for (let at = 0; at < parties.customer.length; at += size) {
    for (const [party, pcm] of Object.entries(parties)) out.push({ party, samples: pcm.subarray(at, at + size), sampleRate: rate, startSample: at });
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await main();
