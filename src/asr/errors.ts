import { dirname, join, resolve } from 'node:path';
import { MODEL_NAME_PATTERN, modelUrl } from './model-catalog.js';

const DEFAULT_MODEL = 'vosk-model-small-en-us-0.15';

/** Why a model cannot be used. Stable codes, for logs and for tests. */
export type ModelProblem = 'not_found' | 'not_a_model' | 'missing_file' | 'empty_file' | 'corrupt_file' | 'bad_config' | 'load_failed' | 'crashed';

/**
 * The configured Vosk model is missing or broken: a start-up error (the service refuses to start),
 * never a crash. The message names the path, the problem and what to do about it.
 */
export class ModelError extends Error {
  /**
   * @param detail what is wrong, without the path (e.g. "conf/model.conf is missing")
   * @param advice what to do about it (e.g. the download command)
   */
  constructor(
    readonly problem: ModelProblem,
    readonly modelPath: string,
    readonly detail: string,
    advice: string,
  ) {
    super(`Vosk model at ${modelPath}: ${detail}. ${advice}`);
    this.name = 'ModelError';
  }
}

/** A recognizer-level failure at run time (one party's stream); the call and other calls go on. */
export class AsrError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AsrError';
  }
}

/**
 * The ASR worker thread that held this stream's recognizer died (a crash in libvosk, or it was
 * terminated). Unlike other AsrErrors it ends the call: the call's other party was on the same
 * worker, and the worker that replaces it does not have the recognizers' state.
 */
export class AsrWorkerLostError extends AsrError {
  constructor(message: string) {
    super(message);
    this.name = 'AsrWorkerLostError';
  }
}

/**
 * The advice appended to every ModelError: how to get a good copy of the model (the download
 * command; by hand, for a machine without internet access; or, with no model at all, the tiny test
 * model). `problem` 'not_found' is a first run: nothing to download "again".
 */
export function downloadAdvice(modelName: string, modelDir: string, problem: ModelProblem): string {
  const name = MODEL_NAME_PATTERN.test(modelName) ? modelName : DEFAULT_MODEL;
  const verb = problem === 'not_found' ? 'Download it' : name === modelName ? 'Download it again' : 'Replace it with a good copy, or download an official model';
  return [
    `${verb} with \`voc model download ${name}\` (or \`npm run model:download -- ${name}\`).`,
    ...installSteps(name, resolve(modelDir), modelUrl(name)),
    TINY_MODEL_ROUTE,
  ].join('\n');
}

/**
 * Installing a model by hand, where the engine cannot download it (offline, a proxy): the archive
 * from a machine with internet access, unpacked where model.path points.
 */
export function installSteps(name: string, target: string, url: string): string[] {
  const parent = dirname(target);
  const unpacked = join(parent, name);
  return [
    'Install it by hand (when this machine cannot download it):',
    `  1. download ${url} (on any machine with internet access)`,
    `  2. unzip it into ${parent}:  mkdir -p ${parent} && unzip ${name}.zip -d ${parent}`,
    ...(unpacked === target ? [] : [`  3. rename it to the configured path:  mv ${unpacked} ${target}`]),
    `  ${unpacked === target ? 3 : 4}. check that ${target} holds am/, conf/ and graph/ (or final.mdl), then start again`,
    `Or put the unpacked model anywhere and point the engine at it: VOC_MODEL_PATH=/path/to/${name} (model.path in the config).`,
  ];
}

/** With no model at hand: the generated test model (no download), which only decodes its own tone words. */
export const TINY_MODEL_ROUTE =
  'To try the engine with no download at all: `npm run model:tiny -- models/tiny`, then VOC_MODEL_PATH=models/tiny ' +
  '(a test model that only decodes its own tone words, not speech; `voc sample --tiny call.wav` makes a call in them).';

/** A model download failed (network, HTTP status, checksum, archive). Nothing is left behind. */
export class DownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}
