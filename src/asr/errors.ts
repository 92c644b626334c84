/** Why a model cannot be used. Stable codes, for logs and for tests. */
export type ModelProblem = 'not_found' | 'not_a_model' | 'missing_file' | 'empty_file' | 'corrupt_file' | 'bad_config' | 'load_failed' | 'crashed';

/**
 * The configured Vosk model is missing or broken: a start-up error (the service refuses to start),
 * never a crash. The message names the path, the problem and what to do about it.
 */
export class ModelError extends Error {
  constructor(
    readonly problem: ModelProblem,
    readonly modelPath: string,
    message: string,
  ) {
    super(message);
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

/** The advice appended to every ModelError: how to get a good copy of the model. */
export function downloadAdvice(modelName: string): string {
  return `Download it again with \`npm run model:download -- ${modelName}\` (or \`voc model download ${modelName}\`), or point model.path (VOC_MODEL_PATH) at an unpacked Vosk model.`;
}
