/**
 * Messages between the main thread and an ASR worker thread (src/asr/worker/asr-worker.ts). A
 * stream is one party's recognizer, named by a number the main thread assigns. Audio travels in
 * transferred buffers (the chunk's memory moves to the worker, nothing is copied).
 */

import type { AcousticEvent } from '../../analytics/acoustic.js';
import type { MeasuresOptions } from '../../analytics/measures-options.js';
import type { WireAudioFormat } from '../../audio/format.js';
import type { ModelFitWarning } from '../model-fit.js';
import type { ModelInfo } from '../model-info.js';

/** What a worker needs to build recognizers: the shared model and the decoding options. */
export interface WorkerInit {
  model: number;
  sampleRate: number;
  partials: boolean;
  partialIntervalMs: number;
  partialWords: boolean;
  voskLogLevel: number;
  /** Nice value the worker thread gives itself (asr.workerNice); 0 leaves it alone. */
  nice?: number;
  /** Samples per chunk handed to libvosk (asr.chunkMs at the model rate); default 100 ms. */
  chunkSamples?: number;
}

/** A call's audio processing on its worker: what it needs to decode, resample and analyse. */
export interface CallAudioInit {
  call: number;
  format: WireAudioFormat;
  parties: string[];
  /** Recognizer stream of each party (opened before), in party order. */
  streams: number[];
  /** Acoustic measures (analytics.measures); absent when analytics are off. */
  acoustic?: MeasuresOptions;
  /** A test model's self-description: each party's audio is checked against it. */
  modelInfo?: ModelInfo;
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
  | { type: 'probe'; id: number; samples: Int16Array; budgetMs: number }
  /** Start a call's audio processing (its streams are already open on this worker). */
  | { type: 'call'; init: CallAudioInit }
  /**
   * Wire audio of a call: interleaved (party -1) or one party's track, in the call's encoding, in a
   * transferred buffer. `feed[i]` false: party i's recognizer queue is full, that party's share is
   * analysed but not decoded (the main thread decided it and mapped the gap on the party's clock).
   */
  | { type: 'wire'; call: number; party: number; bytes: Uint8Array; feed: boolean[] }
  /** Party `party`'s clock jumps `samples` (call rate) ahead without audio. */
  | { type: 'skip'; call: number; party: number; samples: number }
  /** No more audio: the resampler tails go to the recognizers, the acoustic measures finish. */
  | { type: 'callEnd'; call: number }
  /**
   * Hand the stream's recognizer and queue to another worker (rebalancing): answered by 'lent'. The
   * stream's audio, cuts and end still come here first (its call's audio processing stays) and are
   * forwarded in order.
   */
  | { type: 'lend'; stream: number }
  /** Take over a stream another worker lent (its recognizer, queue and clock). */
  | { type: 'adopt'; stream: number; state: LentStream }
  /** What the stream's home worker forwarded to this one, which decodes it. */
  | { type: 'more'; stream: number; items: StreamItem[] };

/** An item of a stream's queue as it crosses between workers: audio, or a cut, end or abort in its place. */
export type StreamItem = Int16Array | 'cut' | 'end' | 'abort';

/** A stream's decoding state, moved between workers: the recognizer is a pointer in the shared address space. */
export interface LentStream {
  rec: number;
  queue: Array<Int16Array | 'cut'>;
  ending: boolean;
  decodedSamples: number;
  lastPartialAt: number;
}

export type FromWorker =
  /**
   * The worker has loaded libvosk (koffi's native addon). Until then it must not be terminated: an
   * addon whose initialisation throws in a terminating thread aborts the whole process (node-addon-api).
   */
  | { type: 'loaded' }
  /** A chunk was decoded; `json` is a result (final) or a partial, when there is one. */
  | { type: 'decoded'; stream: number; samples: number; elapsedMs: number; json?: string; final?: boolean }
  /** The final result of the utterance ended by 'cut' (the stream goes on). */
  | { type: 'cut'; stream: number; json: string }
  /** The final result after 'end'. */
  | { type: 'final'; stream: number; json: string }
  /** The recognizer is freed (after 'final', 'abort' or a failure); the stream is gone from the worker. */
  | { type: 'freed'; stream: number; discardedSamples: number }
  | { type: 'failed'; stream: number; message: string }
  /** `audioWorkMs`: what the per-call audio work (decode, resample, acoustic measures) of the same audio takes, per party. */
  | { type: 'probed'; id: number; decodedMs: number; elapsedMs: number; audioWorkMs: number }
  | { type: 'checked'; id: number; ok: boolean }
  /** Acoustic measure outputs of a call (batched: everything one message or end produced). */
  | { type: 'acoustic'; call: number; events: AcousticEvent[] }
  /** A party's audio does not suit the test model (once per call). */
  | { type: 'warning'; call: number; party: string; warning: ModelFitWarning }
  /** After 'callEnd' (and its last acoustic outputs): the call's processing is gone from the worker. */
  | { type: 'callEnded'; call: number }
  /** The call's audio processing failed (bad audio, a detector bug): its audio is no longer analysed. */
  | { type: 'callFailed'; call: number; message: string }
  /** Answer to 'lend': the stream's state, now off this worker; absent when it was already gone. */
  | { type: 'lent'; stream: number; state?: LentStream }
  /** Audio, cuts and ends of a lent stream, for the worker that now decodes it. */
  | { type: 'forward'; stream: number; items: StreamItem[] };
