import type { Observable } from 'rxjs';
import type { AlertEvent, CallInput, TranscriptEvent } from '../events/schema.js';
import type { PartyPcm } from '../audio/format.js';
import type { DriverResult } from './voc/recognize.js';
import type { AcousticStreams } from './acoustic.js';
import type { MeasuresOptions } from './measures-options.js';

/** What every detector of one call can read. All streams complete when the call ends. */
export interface CallStreams {
  callId: string;
  parties: readonly string[];
  language: string;
  /** 'text': the transcripts came from the client, there is no audio (acoustic measures are not available). Default 'audio'. */
  input?: CallInput;
  /** Redacted transcripts, partial and final, all parties, in arrival order. */
  transcripts$: Observable<TranscriptEvent>;
  /**
   * Decoded per-party PCM at the call's own rate (before resampling to the model rate). In the live
   * session the PCM stays on the call's ASR worker: audio$ then carries empty chunks that only move
   * each party's audio clock, and the acoustic measures arrive in `acoustic`.
   */
  audio$: Observable<PartyPcm>;
  /**
   * The call's final duration in ms, emitted once just before the other streams complete. Optional:
   * without it, detectors take the furthest point of audio and transcripts as the call's end.
   */
  durationMs$?: Observable<number>;
  /**
   * Raised tone and talk activity already computed from this call's audio elsewhere (the call's ASR
   * worker thread, analytics/acoustic.ts); the measures then do not analyse audio$ themselves.
   */
  acoustic?: AcousticStreams;
}

/** Alert fields a detector fills; the session adds id/callId/raisedAt/version. */
export type DetectedAlert = Omit<AlertEvent, 'type' | 'v' | 'callId' | 'raisedAt' | 'id'> & {
  /** Stable per-call key for this occurrence; the same key never alerts twice. */
  key: string;
};

export type MeasureName = 'raised_tone' | 'silence' | 'overtalk' | 'sentiment' | 'talk_speed';
export interface MeasureEvent { measure: MeasureName; party?: string; startMs: number; endMs: number; value: number; /** who was interrupted, for overtalk */ interruptedParty?: string }

export type DetectorOutput =
  | { kind: 'alert'; alert: DetectedAlert }
  /** A measurement (acoustic or conversational) that rules can use. */
  | { kind: 'measure'; measure: MeasureEvent }
  /** A tentative alert (raised from a partial) the final transcript did not confirm. */
  | { kind: 'withdraw'; key: string }
  | { kind: 'tag'; tag: string }
  /** The call's drivers changed (a driver was recognized); the final ones are in summary section 'drivers'. */
  | { kind: 'driver'; drivers: DriverResult }
  /** A summary section, emitted once when the inputs complete. */
  | { kind: 'summary'; section: string; value: unknown };

/**
 * A detector is a pure function of the call's streams: no I/O, no clocks other than the audio/transcript
 * timeline, so it can be unit-tested with marble or array inputs.
 */
export type Detector = (streams: CallStreams) => Observable<DetectorOutput>;

/**
 * A call's whole analytics: a detector, plus the acoustic measures it expects in CallStreams.acoustic
 * (analytics.measures), which the session has computed where the call's audio is decoded.
 */
export type CallAnalytics = Detector & { readonly acoustic?: MeasuresOptions };
