/**
 * Types for the parts of the `vosk` npm package (0.3.39, plain JavaScript) the engine uses. Handles
 * are ref-napi pointers: a failed libvosk constructor gives a NULL pointer, not an exception.
 */
declare module 'vosk' {
  import type { Pointer } from 'ref-napi';

  export function setLogLevel(level: number): void;

  export class Model {
    constructor(modelPath: string);
    readonly handle: Pointer<unknown>;
    free(): void;
  }

  export class Recognizer {
    constructor(param: { model: Model; sampleRate: number });
    readonly handle: Pointer<unknown>;
    setWords(words: boolean): void;
    setPartialWords(partialWords: boolean): void;
    acceptWaveformAsync(data: Buffer): Promise<boolean>;
    free(): void;
  }
}
