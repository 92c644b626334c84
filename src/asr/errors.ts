import { MODEL_NAME_PATTERN } from './model-catalog.js';

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

/** The advice appended to every ModelError: how to get a good copy of the model. */
export function downloadAdvice(modelName: string): string {
  const name = MODEL_NAME_PATTERN.test(modelName) ? modelName : DEFAULT_MODEL;
  const again = name === modelName ? 'Download it again' : 'Replace it with a good copy, or download an official model';
  return `${again} with \`npm run model:download -- ${name}\` (or \`voc model download ${name}\`), or point model.path (VOC_MODEL_PATH) at an unpacked Vosk model.`;
}

/** A model download failed (network, HTTP status, checksum, archive). Nothing is left behind. */
export class DownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}
