import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

/**
 * The engine's binding of libvosk (koffi: maintained, prebuilt for Node 20-24, no compiler, no npm
 * overrides). The library is the one the `vosk` npm package ships, installed by scripts/libvosk.mjs
 * into node_modules/.libvosk/ (VOC_LIBVOSK overrides the path).
 *
 * Handles (model, recognizer) are plain numbers (the C pointer's address), so they cross worker
 * threads in a postMessage: the model is loaded once and shared by the recognizers of every ASR
 * worker (libvosk's model is reference-counted and thread-safe; a recognizer is not, so each one
 * is used by one thread only).
 *
 * Every call here is synchronous: ASR workers call them on their own thread (src/asr/worker/), and
 * the main thread only loads and frees the model at start and exit.
 */

export const LIBVOSK_VERSION = '0.3.39';

/** An address returned by libvosk; 0 is NULL (a failed load or create). */
export type Handle = number;

const LIB_FILES: Record<string, string> = {
  linux: 'linux-x86_64/libvosk.so',
  darwin: 'osx-universal/libvosk.dylib',
  win32: 'win-x86_64/libvosk.dll',
};

/** Where libvosk is loaded from: VOC_LIBVOSK, else the copy scripts/libvosk.mjs installed. */
export function libvoskPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VOC_LIBVOSK) return env.VOC_LIBVOSK;
  const file = LIB_FILES[process.platform];
  if (!file) throw new Error(`the vosk package ships no libvosk for ${process.platform}: set VOC_LIBVOSK to a libvosk you built`);
  return join(packageRoot(), 'node_modules', '.libvosk', LIBVOSK_VERSION, file);
}

/** The repository (or installed package) root: the nearest ancestor with node_modules/.libvosk. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'node_modules', '.libvosk'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('libvosk is not installed (node_modules/.libvosk missing): run `npm install` (its postinstall fetches it) or set VOC_LIBVOSK');
    dir = up;
  }
}

function bind(path: string) {
  const lib = koffi.load(path);
  return {
    setLogLevel: lib.func('void vosk_set_log_level(int level)') as (level: number) => void,
    modelNew: lib.func('uintptr_t vosk_model_new(const char *path)') as (path: string) => Handle,
    modelFree: lib.func('void vosk_model_free(uintptr_t model)') as (model: Handle) => void,
    recognizerNew: lib.func('uintptr_t vosk_recognizer_new(uintptr_t model, float sampleRate)') as (model: Handle, rate: number) => Handle,
    setWords: lib.func('void vosk_recognizer_set_words(uintptr_t rec, int words)') as (rec: Handle, on: number) => void,
    setPartialWords: lib.func('void vosk_recognizer_set_partial_words(uintptr_t rec, int words)') as (rec: Handle, on: number) => void,
    acceptWaveform: lib.func('int vosk_recognizer_accept_waveform(uintptr_t rec, const void *data, int length)') as (
      rec: Handle,
      data: Int16Array,
      bytes: number,
    ) => number,
    result: lib.func('const char *vosk_recognizer_result(uintptr_t rec)') as (rec: Handle) => string | null,
    partialResult: lib.func('const char *vosk_recognizer_partial_result(uintptr_t rec)') as (rec: Handle) => string | null,
    finalResult: lib.func('const char *vosk_recognizer_final_result(uintptr_t rec)') as (rec: Handle) => string | null,
    recognizerFree: lib.func('void vosk_recognizer_free(uintptr_t rec)') as (rec: Handle) => void,
  };
}

export type Libvosk = ReturnType<typeof bind>;
let binding: Libvosk | undefined;

/** The process's (or worker thread's) binding, loaded on first use. */
export function libvosk(): Libvosk {
  binding ??= bind(libvoskPath());
  return binding;
}

/** A recognizer with word times (and partial words when asked); 0 when libvosk could not create it. */
export function createRecognizer(model: Handle, sampleRate: number, partialWords: boolean): Handle {
  const lib = libvosk();
  const rec = lib.recognizerNew(model, sampleRate);
  if (rec === 0) return 0;
  lib.setWords(rec, 1);
  if (partialWords) lib.setPartialWords(rec, 1);
  return rec;
}
