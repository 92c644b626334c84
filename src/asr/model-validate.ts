import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ModelError, downloadAdvice } from './errors.js';

/**
 * Checks a Vosk model directory BEFORE libvosk sees it. libvosk 0.3.39 reports most broken models
 * only on stderr (and returns NULL), and a few (a missing graph) load "successfully" and then fail on
 * the first recognizer, so every rule here names the file libvosk would trip over. The rules follow
 * libvosk's own layout detection (vosk-api src/model.cc):
 * - layout "v2": `am/final.mdl` and `conf/model.conf` both exist; graph files under `graph/`;
 * - layout "v1" (older models): `final.mdl` and `mfcc.conf` in the directory itself;
 * - a graph: `HCLG.fst`, or the lookahead pair `HCLr.fst` + `Gr.fst` (with `disambig_tid.int`);
 * - a feature config (`mfcc.conf`, or `fbank.conf`) whose `--sample-frequency` is the model's rate.
 */

export interface ModelInfo {
  /** Absolute path of the model directory. */
  dir: string;
  layout: 'v1' | 'v2';
  /** 'hclg': one precompiled graph; 'lookahead': HCLr.fst + Gr.fst composed at run time. */
  graph: 'hclg' | 'lookahead';
  /** Rate (Hz) the model was trained on: audio must reach the recognizer at this rate. */
  sampleRate: number;
  /** Things libvosk accepts but that degrade results (logged at start). */
  warnings: string[];
}

/** OpenFst's binary magic number (first int32, little-endian) of every .fst file. */
const FST_MAGIC = 2125659606;
/** Kaldi's default --sample-frequency. */
const DEFAULT_SAMPLE_RATE = 16_000;

export function validateModelDir(path: string, modelName?: string): ModelInfo {
  const dir = resolve(path);
  const name = modelName ?? basename(dir);
  const fail = (problem: ConstructorParameters<typeof ModelError>[0], what: string): never => {
    throw new ModelError(problem, dir, what, downloadAdvice(name, dir, problem));
  };

  const top = statOrUndefined(dir);
  if (!top) fail('not_found', 'the directory does not exist');
  if (!top!.isDirectory()) fail('not_found', 'this is a file, not a directory (unpack the model archive first)');

  const has = (rel: string): boolean => statOrUndefined(join(dir, rel))?.isFile() === true;
  const layout = detectLayout(dir, has, fail);
  const graphDir = layout === 'v2' ? 'graph/' : '';
  const confDir = layout === 'v2' ? 'conf/' : '';
  const warnings: string[] = [];

  const requireFile = (rel: string): void => {
    const stat = statOrUndefined(join(dir, rel));
    if (!stat?.isFile()) fail('missing_file', `${rel} is missing`);
    if (stat!.size === 0) fail('empty_file', `${rel} is empty (an interrupted download or unpack?)`);
  };

  requireFile(layout === 'v2' ? 'am/final.mdl' : 'final.mdl');
  if (layout === 'v2') requireFile('conf/model.conf');

  const featureConf = has(`${confDir}mfcc.conf`) ? `${confDir}mfcc.conf` : has(`${confDir}fbank.conf`) ? `${confDir}fbank.conf` : undefined;
  if (!featureConf) fail('missing_file', `${confDir}mfcc.conf is missing (the feature configuration)`);
  const sampleRate = readSampleRate(join(dir, featureConf!), (what) => fail('bad_config', `${featureConf}: ${what}`));

  let graph: ModelInfo['graph'];
  if (has(`${graphDir}HCLG.fst`)) {
    graph = 'hclg';
    requireFst(dir, `${graphDir}HCLG.fst`, requireFile, fail);
  } else if (has(`${graphDir}Gr.fst`) || has(`${graphDir}HCLr.fst`)) {
    graph = 'lookahead';
    requireFst(dir, `${graphDir}HCLr.fst`, requireFile, fail);
    requireFst(dir, `${graphDir}Gr.fst`, requireFile, fail);
    requireFile(`${graphDir}disambig_tid.int`);
  } else {
    return fail('missing_file', `${graphDir}HCLG.fst is missing, and so is the lookahead pair ${graphDir}HCLr.fst + ${graphDir}Gr.fst: there is no decoding graph`);
  }
  requireFile(`${graphDir}words.txt`);

  const wordBoundary = layout === 'v2' ? 'graph/phones/word_boundary.int' : 'word_boundary.int';
  if (!has(wordBoundary)) warnings.push(`${wordBoundary} is missing: word start/end times will be inaccurate`);

  // Optional parts: when present they must be complete, or libvosk fails half-way through loading.
  if (has('ivector/final.ie')) {
    for (const f of ['final.dubm', 'final.mat', 'global_cmvn.stats', 'splice.conf', 'online_cmvn.conf']) requireFile(`ivector/${f}`);
  }
  if (has('rescore/G.carpa')) requireFile('rescore/G.fst');

  return { dir, layout, graph: graph!, sampleRate, warnings };
}

/** The model's sample rate (Hz) from its feature config; Kaldi's default 16000 when not set. */
export function readSampleRate(configPath: string, onError: (what: string) => never = (what) => {
  throw new Error(`${configPath}: ${what}`);
}): number {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    return onError(`cannot be read (${(err as Error).message})`);
  }
  let rate = DEFAULT_SAMPLE_RATE;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^--sample-frequency=(.*)$/.exec(line);
    if (!match) continue;
    const value = Number(match[1]);
    if (!Number.isFinite(value) || value < 1000 || value > 192_000) return onError(`--sample-frequency=${match[1]} is not a sample rate`);
    rate = value; // Kaldi lets the last occurrence win
  }
  return rate;
}

function detectLayout(dir: string, has: (rel: string) => boolean, fail: (p: 'not_a_model' | 'missing_file', what: string) => never): 'v1' | 'v2' {
  const amV2 = has('am/final.mdl');
  const confV2 = has('conf/model.conf');
  if (amV2 && confV2) return 'v2';
  if (has('final.mdl') && has('mfcc.conf')) return 'v1';
  if (amV2) return fail('missing_file', 'conf/model.conf is missing (am/final.mdl is there; libvosk needs both to recognise the model layout)');
  if (confV2) return fail('missing_file', 'am/final.mdl is missing (the acoustic model)');
  const nested = nestedModelDir(dir);
  if (nested) return fail('not_a_model', `no model files here, but ${nested} looks like one: set model.path to that directory`);
  return fail('not_a_model', 'no model files here (expected am/final.mdl and conf/model.conf)');
}

/** People often point at the folder they unpacked into; name the model folder inside it. */
function nestedModelDir(dir: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const sub = join(dir, entry);
    if (statOrUndefined(join(sub, 'am/final.mdl'))?.isFile() || statOrUndefined(join(sub, 'final.mdl'))?.isFile()) return sub;
  }
  return undefined;
}

function requireFst(
  dir: string,
  rel: string,
  requireFile: (rel: string) => void,
  fail: (p: 'corrupt_file', what: string) => never,
): void {
  requireFile(rel);
  const head = Buffer.alloc(4);
  const fd = openSync(join(dir, rel), 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readInt32LE(0) !== FST_MAGIC) fail('corrupt_file', `${rel} is not an OpenFst file (wrong magic number)`);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
