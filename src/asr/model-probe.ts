import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { ModelError, downloadAdvice } from './errors.js';
import { libvoskPath } from './libvosk.js';
import type { ModelInfo } from './model-validate.js';

/**
 * Loads the model once in a throw-away child process before the service loads it for real.
 *
 * Why: libvosk aborts the whole process on some broken models (a failed Kaldi assertion, e.g. a
 * final.mdl whose transition log-probs are inconsistent, or a network whose input does not fit the
 * features, which only shows on the first decoded frame). No try/catch can stop SIGABRT, so the
 * load, a recognizer and 100 ms of decoding are tried where a crash costs nothing, and libvosk's
 * own error line (stderr) goes into the ModelError.
 *
 * The probe costs one extra model load at start. After a clean probe a stamp file
 * (`.voc-verified`) with a fingerprint of the files (names, sizes, mtimes) and of libvosk is
 * written into the model directory, so later starts skip it; on a read-only model directory the
 * probe simply runs at every start.
 */

export const STAMP_FILE = '.voc-verified';

export interface ProbeOptions {
  /** Give up (ModelError) after this long; loading a 2 GB model takes tens of seconds. */
  timeoutMs?: number;
  /** Ignore the stamp and always probe. */
  force?: boolean;
}

export interface ProbeOutcome {
  /** False when a valid stamp let the probe be skipped. */
  probed: boolean;
  durationMs: number;
}

const requireCjs = createRequire(import.meta.url);

/** The child: plain CommonJS, so it runs the same from dist/ and under vitest. Exit codes below. */
const CHILD_SCRIPT = `
const [koffiPath, libPath, modelDir, rate] = process.argv.slice(1);
const lib = require(koffiPath).load(libPath);
lib.func('void vosk_set_log_level(int level)')(-1);
const model = lib.func('uintptr_t vosk_model_new(const char *path)')(modelDir);
if (model === 0) process.exit(3);
const rec = lib.func('uintptr_t vosk_recognizer_new(uintptr_t model, float rate)')(model, Number(rate));
if (rec === 0) process.exit(4);
lib.func('void vosk_recognizer_set_words(uintptr_t rec, int words)')(rec, 1);
const pcm = Buffer.alloc(Math.round(Number(rate) / 10) * 2);
lib.func('int vosk_recognizer_accept_waveform(uintptr_t rec, const void *data, int length)')(rec, pcm, pcm.length);
lib.func('const char *vosk_recognizer_final_result(uintptr_t rec)')(rec);
lib.func('void vosk_recognizer_free(uintptr_t rec)')(rec);
lib.func('void vosk_model_free(uintptr_t model)')(model);
process.exit(0);
`;

export async function probeModel(info: ModelInfo, modelName: string, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  const started = performance.now();
  const fingerprint = modelFingerprint(info.dir);
  if (!options.force && readStamp(info.dir) === fingerprint) return { probed: false, durationMs: performance.now() - started };

  const { code, signal, stderr, timedOut } = await runChild(info, options.timeoutMs ?? 15 * 60_000);
  const libvoskSaid = lastLibvoskError(stderr);
  const said = libvoskSaid ? `. libvosk said: "${libvoskSaid}"` : '';
  const fail = (problem: 'load_failed' | 'crashed', what: string): never => {
    throw new ModelError(problem, info.dir, `${what}${said}`, downloadAdvice(modelName, info.dir, problem));
  };
  if (timedOut) fail('load_failed', `loading did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
  if (signal) fail('crashed', `libvosk crashed (${signal}) while loading it or decoding with it: a file is corrupt or does not match the others`);
  if (code === 3) fail('load_failed', 'libvosk could not load it (its files are there, but one is unreadable or inconsistent)');
  if (code === 4) fail('load_failed', 'libvosk loaded it but could not build a recognizer (broken decoding graph?)');
  if (code !== 0) fail('load_failed', `the load test exited with code ${code}`);

  writeStamp(info.dir, fingerprint);
  return { probed: true, durationMs: performance.now() - started };
}

function runChild(info: ModelInfo, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, requireCjs.resolve('koffi'), libvoskPath(), info.dir, String(info.sampleRate)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let timedOut = false;
    child.stderr.setEncoding('utf8');
    // Keep only the tail: Kaldi may print a long usage text before the error line.
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-16_384)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, timedOut });
    });
  });
}

/** The last ERROR / ASSERTION_FAILED line libvosk (Kaldi, OpenFst) printed, shortened. */
export function lastLibvoskError(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => /^(ERROR|ASSERTION_FAILED)\b/.test(l.trim()));
  const last = lines[lines.length - 1]?.trim();
  return last && last.length > 400 ? `${last.slice(0, 400)}…` : last;
}

/** Names, sizes and mtimes of every model file, plus libvosk itself: any change re-probes. */
export function modelFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(dir)) {
    if (file.endsWith(STAMP_FILE)) continue;
    const stat = statSync(file);
    hash.update(`${relative(dir, file)}\t${stat.size}\t${stat.mtimeMs}\n`);
  }
  const lib = statSync(libvoskPath());
  hash.update(`libvosk\t${lib.size}\t${lib.mtimeMs}\n`);
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

function readStamp(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, STAMP_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeStamp(dir: string, fingerprint: string): void {
  const tmp = join(dir, `${STAMP_FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${fingerprint}\n`);
    renameSync(tmp, join(dir, STAMP_FILE));
  } catch {
    // Read-only model directory: fine, the probe runs again next start.
  }
}
