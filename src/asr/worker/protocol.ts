/**
 * Messages between the main thread and an ASR worker thread (src/asr/worker/asr-worker.ts). A
 * stream is one party's recognizer, named by a number the main thread assigns. Audio travels in
 * transferred buffers (the chunk's memory moves to the worker, nothing is copied).
 */

/** What a worker needs to build recognizers: the shared model and the decoding options. */
export interface WorkerInit {
  model: number;
  sampleRate: number;
  partials: boolean;
  partialIntervalMs: number;
  partialWords: boolean;
  voskLogLevel: number;
}

export type ToWorker =
  | { type: 'open'; stream: number }
  /** One chunk of model-rate PCM16 (asr.chunkMs, the last one may be shorter). */
  | { type: 'audio'; stream: number; samples: Int16Array }
  /**
   * End the utterance in progress (vosk-server's reset): after the audio queued before it, the
   * recognizer's final result so far; the recognizer then starts afresh on later audio.
   */
  | { type: 'cut'; stream: number }
  /** No more audio: decode what is queued, then the final result, then free. */
  | { type: 'end'; stream: number }
  /** Drop the queue and free the recognizer without a final result. */
  | { type: 'abort'; stream: number }
  /** Readiness: create and free a recognizer, reply whether libvosk could. */
  | { type: 'check'; id: number }
  /** Decoding-cost probe: decode `samples` on a throw-away recognizer, reply with the CPU time. */
  | { type: 'probe'; id: number; samples: Int16Array; budgetMs: number };

export type FromWorker =
  /** A chunk was decoded; `json` is a result (final) or a partial, when there is one. */
  | { type: 'decoded'; stream: number; samples: number; elapsedMs: number; json?: string; final?: boolean }
  /** The final result of the utterance ended by 'cut' (the stream goes on). */
  | { type: 'cut'; stream: number; json: string }
  /** The final result after 'end'. */
  | { type: 'final'; stream: number; json: string }
  /** The recognizer is freed (after 'final', 'abort' or a failure); the stream is gone from the worker. */
  | { type: 'freed'; stream: number; discardedSamples: number }
  | { type: 'failed'; stream: number; message: string }
  | { type: 'probed'; id: number; decodedMs: number; elapsedMs: number }
  | { type: 'checked'; id: number; ok: boolean };
