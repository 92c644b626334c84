import type { Observable } from 'rxjs';
import type { AcousticStreams } from '../analytics/acoustic.js';
import type { MeasuresOptions } from '../analytics/measures-options.js';
import type { WireAudioFormat } from '../audio/format.js';
import type { WordTiming } from '../events/schema.js';
import type { ModelFitWarning } from './model-fit.js';
import type { ModelInfo } from './model-info.js';

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

export interface CallAudioOptions {
  callId: string;
  protocol?: string;
  format: WireAudioFormat;
  parties: readonly string[];
  /** Acoustic measures to compute from the audio (analytics.measures); absent when analytics are off. */
  acoustic?: MeasuresOptions;
  /** A test model's self-description: each party's audio is checked against it (warnings$). */
  modelInfo?: ModelInfo;
}

/** One party's share of a wire message, as the call accounts it. */
export interface PartyAudioTaken {
  party: string;
  /** Samples at the call rate. */
  samples: number;
  /** Where they start on the party's timeline (call rate). */
  startSample: number;
  /** Model-rate samples the party's recognizer could not take (queue full). */
  droppedModelSamples: number;
}

/**
 * A call's audio, from wire bytes to its parties' recognizers and acoustic measures. Decoding,
 * resampling, rechunking and the acoustic analysis happen where its recognizers live (an ASR worker
 * thread); the caller only validates and accounts. Throws CallInputError for a format it cannot take.
 */
export interface CallAudio {
  /** Each party's recognizer: results, backlog, end, abort. */
  readonly streams: ReadonlyMap<string, AsrStream>;
  /** Raised tone and talk activity of the call's audio (absent without `acoustic` options). */
  readonly acoustic: AcousticStreams | undefined;
  /** A party's audio does not suit the test model: at most once per call. */
  readonly warnings$: Observable<{ party: string; warning: ModelFitWarning }>;
  /** Interleaved wire audio. Throws CallInputError('bad_frame_size') for a partial sample frame. */
  pushInterleaved(bytes: Uint8Array): PartyAudioTaken[];
  /** One party's track. Throws CallInputError('bad_message') for an unknown party, ('bad_frame_size') for a partial sample. */
  pushParty(party: string, bytes: Uint8Array): PartyAudioTaken;
  /** The party's clock jumps `samples` (call rate) ahead; returns where the gap starts. */
  skip(party: string, samples: number): number;
  /** No more audio: resampler tails go to the recognizers and the acoustic measures finish. End the streams after this. */
  endAudio(): void;
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
  /** A call's audio processing and its parties' recognizers. */
  openCall(options: CallAudioOptions): CallAudio;
  close(): Promise<void>;
}
