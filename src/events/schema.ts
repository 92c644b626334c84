/**
 * The engine's output events: what goes back to the ingest client, to Redis and to the CLI.
 * Every event is JSON with `type` and `v` (schema version). Fields may be added within a version;
 * removing or changing a field's meaning bumps `v`. All times are milliseconds from call start
 * unless the name says otherwise (`...At` fields are ISO-8601 wall-clock times).
 */

export const EVENT_SCHEMA_VERSION = 1 as const;

export interface WordTiming {
  word: string;
  startMs: number;
  endMs: number;
  /** Recognizer confidence 0..1. */
  conf: number;
}

export interface TranscriptEvent {
  type: 'transcript';
  v: typeof EVENT_SCHEMA_VERSION;
  callId: string;
  party: string;
  /** false: a partial hypothesis that may still change; true: the final result of an utterance. */
  final: boolean;
  /** Transcript text (redacted when redaction is on). */
  text: string;
  /** Word timings; empty for partials. */
  words: WordTiming[];
  startMs: number;
  endMs: number;
  /** Sequence number of the utterance within the party's stream (partials share their final's). */
  utterance: number;
}

export type AlertSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** Evidence for an alert or a scorecard check: words and where they were said. */
export interface Evidence {
  party?: string;
  text: string;
  startMs: number;
  endMs: number;
}

export interface AlertEvent {
  type: 'alert';
  v: typeof EVENT_SCHEMA_VERSION;
  /** Stable id: the same occurrence always has the same id (used for de-duplication). */
  id: string;
  callId: string;
  /** Which detector raised it: 'keyword', 'category', 'compliance', 'raised_tone', 'silence', 'overtalk', ... */
  kind: string;
  /** Category or rule name. */
  category: string;
  severity: AlertSeverity;
  party?: string;
  /** Matched phrase, for text detectors. */
  phrase?: string;
  startMs: number;
  endMs: number;
  /** True when raised from a partial transcript (may later be withdrawn by an `alert_withdrawn`). */
  tentative?: boolean;
  tags?: string[];
  /** Detector-specific details (numbers, evidence). */
  details?: Record<string, unknown>;
  /** Wall-clock time the engine raised it. */
  raisedAt: string;
}

/** A tentative alert that the final transcript did not confirm. */
export interface AlertWithdrawnEvent {
  type: 'alert_withdrawn';
  v: typeof EVENT_SCHEMA_VERSION;
  id: string;
  callId: string;
  kind: string;
  category: string;
  raisedAt: string;
}

/**
 * The call's results are questionable, e.g. the model does not suit the audio (`model_fit`). Sent at
 * most once per code and call; also logged. Not stored in Redis and not part of the summary.
 */
export interface WarningEvent {
  type: 'warning';
  v: typeof EVENT_SCHEMA_VERSION;
  callId: string;
  code: string;
  message: string;
  party?: string;
  details?: Record<string, unknown>;
  raisedAt: string;
}

/** A call driver (docs/voc.md) as events, summaries and Redis carry it. */
export interface DriverRef {
  id: string;
  /** Display name, any language. */
  name: string;
  priority: number;
  /** The owning department; absent for `unclassified`. */
  department?: string;
  dimensions: { businessType?: string; system?: string; network?: string; department?: string };
  /** Where in the call the driver's rules matched (ms from call start). */
  startMs?: number;
  endMs?: number;
}

/**
 * The call's drivers changed: sent as soon as a driver is recognized (and again if a higher-priority
 * one is recognized later). The final drivers are in the summary's `analytics.drivers`.
 */
export interface DriverEvent {
  type: 'driver';
  v: typeof EVENT_SCHEMA_VERSION;
  callId: string;
  /** The highest-priority driver recognized so far. */
  primary: DriverRef;
  secondary: DriverRef[];
  raisedAt: string;
}

/** What a call's client sends: audio for the recognizers, or text it transcribed elsewhere. */
export type CallInput = 'audio' | 'text';

/**
 * 'interrupted': the engine process holding the call died (crash, SIGKILL) mid-call; a restart of the
 * same instance rebuilt the summary from what Redis held (docs/operations.md, "Crash recovery").
 */
export type CallEndReason = 'stop' | 'disconnect' | 'shutdown' | 'error' | 'timeout' | 'interrupted';

export interface CallSummary {
  type: 'summary';
  v: typeof EVENT_SCHEMA_VERSION;
  callId: string;
  protocol: string;
  /** 'text' for calls that sent utterances instead of audio; absent for audio calls. */
  input?: 'text';
  language: string;
  parties: string[];
  metadata: Record<string, unknown>;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  endReason: CallEndReason;
  /** True when the call did not end by its client's own stop (shutdown, error, disconnect). */
  cutShort: boolean;
  tags: string[];
  alertCount: number;
  alerts: AlertEvent[];
  /** Final transcript utterances of all parties in time order (redacted when redaction is on). */
  transcript: Array<Pick<TranscriptEvent, 'party' | 'text' | 'startMs' | 'endMs' | 'words'>>;
  /** Per-party audio and ASR accounting (empty for text calls). */
  audio: Record<string, { receivedMs: number; droppedMs: number }>;
  /** Sections contributed by analytics detectors, keyed by detector name. */
  analytics: Record<string, unknown>;
}

export interface ErrorEvent {
  type: 'error';
  v: typeof EVENT_SCHEMA_VERSION;
  code: string;
  message: string;
  callId?: string;
}

/** Events a call emits while it runs, in order; the summary is always last. */
export type CallEvent = TranscriptEvent | AlertEvent | AlertWithdrawnEvent | WarningEvent | DriverEvent | CallSummary;
