import ffi from 'ffi-napi';
import ref from 'ref-napi';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Our own small ffi binding of the libvosk the `vosk` npm package ships, for the calls that can take
 * milliseconds: feeding audio and reading results (a final result runs lattice word alignment).
 * Each call goes through ffi's `.async`, which runs it on a libuv threadpool thread, so the event loop
 * never waits for libvosk. dlopen returns the library the vosk package already loaded, so the
 * recognizer handles it creates are valid here.
 *
 * Thread safety: libvosk recognizers are not thread-safe, so callers must keep at most one call in
 * flight per recognizer (VoskAsrStream does). A result string points into the recognizer, so it is
 * copied into a JS string in the completion callback, before any other call on that recognizer.
 */

const requireCjs = createRequire(import.meta.url);

export function libvoskPath(): string {
  const lib = join(dirname(requireCjs.resolve('vosk')), 'lib');
  if (process.platform === 'win32') return join(lib, 'win-x86_64', 'libvosk.dll');
  if (process.platform === 'darwin') return join(lib, 'osx-universal', 'libvosk.dylib');
  return join(lib, 'linux-x86_64', 'libvosk.so');
}

const recognizerPtr = ref.refType(ref.types.void);

function bind() {
  return ffi.Library(libvoskPath(), {
    vosk_recognizer_accept_waveform: ['int', [recognizerPtr, 'pointer', 'int']],
    vosk_recognizer_result: ['string', [recognizerPtr]],
    vosk_recognizer_partial_result: ['string', [recognizerPtr]],
    vosk_recognizer_final_result: ['string', [recognizerPtr]],
  });
}

type Binding = ReturnType<typeof bind>;
let binding: Binding | undefined;
const lib = (): Binding => (binding ??= bind());

/** A recognizer handle from the vosk package (`Recognizer.handle`). */
export type RecognizerHandle = ref.Pointer<unknown>;

function settle<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: unknown, value: T) => (err ? reject(err) : resolve(value));
}

/**
 * Feeds PCM16 (little-endian) to the recognizer. Resolves 1 when an endpoint was reached (an
 * utterance is complete: read it with result()), 0 otherwise, -1 on a libvosk error.
 */
export function acceptWaveform(rec: RecognizerHandle, pcm: Buffer): Promise<number> {
  return new Promise((resolve, reject) =>
    lib().vosk_recognizer_accept_waveform.async(rec, pcm, pcm.length, (err: unknown, n: number) => {
      // Referencing `pcm` here keeps it alive (not collected) while a pool thread reads it.
      if (err) reject(err);
      else resolve(pcm.length > 0 ? n : 0);
    }),
  );
}

/** JSON of the utterance just completed (after acceptWaveform resolved 1). */
export function result(rec: RecognizerHandle): Promise<string> {
  return new Promise((resolve, reject) => lib().vosk_recognizer_result.async(rec, settle<string | null>((s) => resolve(s ?? '{}'), reject)));
}

/** JSON of the utterance in progress: `{"partial": "..."}`. */
export function partialResult(rec: RecognizerHandle): Promise<string> {
  return new Promise((resolve, reject) =>
    lib().vosk_recognizer_partial_result.async(rec, settle<string | null>((s) => resolve(s ?? '{}'), reject)),
  );
}

/** Flushes the feature pipeline and returns the last utterance's JSON (end of stream). */
export function finalResult(rec: RecognizerHandle): Promise<string> {
  return new Promise((resolve, reject) =>
    lib().vosk_recognizer_final_result.async(rec, settle<string | null>((s) => resolve(s ?? '{}'), reject)),
  );
}
