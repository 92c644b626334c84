import type { Observable } from 'rxjs';
import type { WordTiming } from '../events/schema.js';

/** One recognizer result for one party. Times are ms from the start of that party's audio stream. */
export interface AsrResult {
  final: boolean;
  text: string;
  /** Word timings (finals; partials only with asr.partialWords, else empty). */
  words: WordTiming[];
}

export interface AsrStreamOptions {
  /** For logs and metrics only. */
  callId: string;
  /** Ingest protocol of the call, for logs only (every call-related line carries callId and protocol). */
  protocol?: string;
  party: string;
  /** Rate of the PCM that will be written; must equal the model's rate (the audio layer resamples). */
  sampleRate: number;
}

/**
 * Streaming recognition of one party's audio. write() never blocks: audio is queued (bounded) and
 * decoded off the main thread. results$ completes after end() once the last final result is out.
 */
export interface AsrStream {
  readonly results$: Observable<AsrResult>;
  /** Queue mono PCM16 at the stream's rate. Returns false when the audio was dropped (queue full). */
  write(samples: Int16Array): boolean;
  /**
   * End the utterance in progress (vosk-server's reset): once the audio written before is decoded,
   * the recognizer's final result so far is emitted and decoding starts afresh, on the same clock.
   * Resolves after that result was emitted (at once when the stream is no longer open).
   */
  cut(): Promise<void>;
  /** Flush: decode what is queued, emit the last final result, complete results$. */
  end(): Promise<void>;
  /**
   * The party's clock jumps `samples` ahead (a hold the sender did not stream): nothing is decoded
   * for it, and later word times are shifted by it.
   */
  skip(samples: number): void;
  /** Audio written and not yet decoded, ms (what flow control watches). */
  readonly queuedMs: number;
  /** Abort without a final result (call torn down). */
  abort(): void;
}

export interface AsrEngine {
  /** Sample rate (Hz) the model expects. */
  readonly sampleRate: number;
  /** Concurrent real-time calls the recognizers keep up with, measured at start; undefined when not measured. */
  readonly capacityCalls?: number;
  /**
   * Time (ms) the recognizers need to catch up with audio already sent, where a new call would
   * go; admission refuses new calls while it is above asr.admissionBacklogMs.
   */
  readonly admissionBacklogMs?: number;
  openStream(options: AsrStreamOptions): AsrStream;
  /**
   * Readiness: can a recognizer be created now (off the main thread, time-boxed, the result cached
   * briefly)? Engines without a model (text calls only) have nothing to check.
   */
  checkModel?(): Promise<{ ok: boolean; problem?: string }>;
  close(): Promise<void>;
}
