import { z } from 'zod';
import type { AudioEncoding } from '../../audio/format.js';
import type {
  AlertEvent,
  AlertSeverity,
  AlertWithdrawnEvent,
  CallEndReason,
  CallEvent,
  CallInput,
  CallSummary,
  TranscriptEvent,
  WarningEvent,
} from '../../events/schema.js';
import { CallInputError, type InputErrorCode } from '../../session/errors.js';
import type { Utterance } from '../../session/text-transcriber.js';
import { textCallFormat } from '../../session/types.js';

/*
 * Wire shapes of voc.v1.CallAnalytics/StreamCall (protos/voc/v1/voc.proto) as grpc-js hands them to
 * us with LOADER_OPTIONS: snake_case fields, enums by name, the set oneof member named in `request`.
 * Decoding already guarantees field types; the schemas check presence, ranges and the sequence.
 */

/** Proto enum names of CallConfig.Encoding that the engine accepts, mapped to engine encodings. */
const ENCODING_BY_NAME: Record<string, AudioEncoding> = { PCM16: 'pcm16', MULAW: 'mulaw', ALAW: 'alaw' };
export const WIRE_ENCODING_NAME: Record<AudioEncoding, string> = { pcm16: 'PCM16', mulaw: 'MULAW', alaw: 'ALAW' };

export const MAX_METADATA_ENTRIES = 64;
export const MAX_METADATA_KEY_CHARS = 128;
export const MAX_METADATA_VALUE_CHARS = 4096;

export const callConfigSchema = z.object({
  call_id: z.string().min(1, 'call_id is required').max(128),
  encoding: z.union([z.string(), z.number()]),
  sample_rate: z.number().int(),
  channels: z.number().int().min(0),
  parties: z.array(z.string().min(1, 'party names must not be empty').max(64)).min(1, 'parties must name each channel'),
  language: z.string().max(16),
  // Bounded: metadata is stored with the call in Redis and repeated in the summary.
  metadata: z
    .record(z.string().max(MAX_METADATA_KEY_CHARS), z.string().max(MAX_METADATA_VALUE_CHARS))
    .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, `at most ${MAX_METADATA_ENTRIES} metadata entries`),
  input: z.enum(['AUDIO', 'TEXT']),
});

const wordSchema = z.object({ word: z.string(), start_ms: z.number(), end_ms: z.number(), conf: z.number() });
export const utteranceSchema = z.object({
  party: z.string(),
  text: z.string(),
  start_ms: z.number(),
  end_ms: z.number(),
  partial: z.boolean(),
  words: z.array(wordSchema),
});

export const callRequestSchema = z.discriminatedUnion('request', [
  z.object({ request: z.literal('config'), config: callConfigSchema }),
  z.object({ request: z.literal('audio'), audio: z.object({ audio: z.instanceof(Buffer) }) }),
  z.object({ request: z.literal('end'), end: z.object({ duration_ms: z.number().default(0) }) }),
  z.object({ request: z.literal('utterance'), utterance: utteranceSchema }),
]);

export type CallRequestMessage = z.infer<typeof callRequestSchema>;
export type CallConfigMessage = z.infer<typeof callConfigSchema>;

/** A decoded CallRequest, validated; CallInputError with a field-level message otherwise. */
export function parseCallRequest(message: unknown): CallRequestMessage {
  const kind = typeof message === 'object' && message !== null ? (message as { request?: unknown }).request : undefined;
  if (kind !== 'config' && kind !== 'audio' && kind !== 'end' && kind !== 'utterance')
    throw new CallInputError('unknown_message', 'CallRequest must set one of config, audio, end, utterance');
  const parsed = callRequestSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    const code: InputErrorCode = kind === 'config' ? 'bad_start' : 'bad_message';
    throw new CallInputError(code, `invalid ${kind}: field "${field}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The engine's view of a CallConfig: encoding by engine name, proto3 zero values replaced by defaults. */
export interface ResolvedConfig {
  callId: string;
  input: CallInput;
  /** Audio calls; a text call's format is not used (textCallFormat). */
  encoding: AudioEncoding;
  sampleRate: number;
  channels: number;
  parties: string[];
  language: string;
  metadata: Record<string, string>;
}

export function resolveConfig(config: CallConfigMessage): ResolvedConfig {
  const language = config.language === '' ? 'en' : config.language;
  if (config.input === 'TEXT') {
    const { encoding, sampleRate, channels } = textCallFormat(config.parties);
    return { callId: config.call_id, input: 'text', encoding, sampleRate, channels, parties: config.parties, language, metadata: config.metadata };
  }
  const encoding = typeof config.encoding === 'string' ? ENCODING_BY_NAME[config.encoding] : undefined;
  if (!encoding)
    throw new CallInputError(
      'unsupported_encoding',
      `encoding must be one of ${Object.keys(ENCODING_BY_NAME).join(', ')} (got ${JSON.stringify(config.encoding)})`,
    );
  if (config.sample_rate <= 0) throw new CallInputError('unsupported_sample_rate', 'sample_rate is required (Hz)');
  return {
    callId: config.call_id,
    input: 'audio',
    encoding,
    sampleRate: config.sample_rate,
    // proto3 cannot tell 0 from unset: 0 means "one channel per named party".
    channels: config.channels === 0 ? config.parties.length : config.channels,
    parties: config.parties,
    language,
    metadata: config.metadata,
  };
}

/** A decoded Utterance as the session's: `partial` flipped to `final`, conf 0 (proto3 "unset") read as 1. */
export function utteranceOf(message: z.infer<typeof utteranceSchema>): Utterance {
  return {
    party: message.party,
    text: message.text,
    startMs: message.start_ms,
    endMs: message.end_ms,
    final: !message.partial,
    words: message.words.map((w) => ({ word: w.word, startMs: w.start_ms, endMs: w.end_ms, conf: w.conf === 0 ? 1 : w.conf })),
  };
}

/* ----------------------------------- engine -> client ----------------------------------------- */

export interface WordMessage {
  word: string;
  start_ms: number;
  end_ms: number;
  conf: number;
}

export interface StartedMessage {
  call_id: string;
  parties: string[];
  encoding: string;
  sample_rate: number;
  channels: number;
  input: string;
}

export interface TranscriptMessage {
  call_id: string;
  party: string;
  final: boolean;
  text: string;
  words: WordMessage[];
  start_ms: number;
  end_ms: number;
  utterance: number;
}

export interface AlertMessage {
  id: string;
  call_id: string;
  kind: string;
  category: string;
  severity: string;
  party: string;
  phrase: string;
  start_ms: number;
  end_ms: number;
  tentative: boolean;
  tags: string[];
  details_json: string;
  raised_at: string;
}

export interface AlertWithdrawnMessage {
  id: string;
  call_id: string;
  kind: string;
  category: string;
  raised_at: string;
}

export interface DriverMessage {
  call_id: string;
  primary_id: string;
  primary_name: string;
  department: string;
  secondary_ids: string[];
  driver_json: string;
  raised_at: string;
}

export interface SummaryMessage {
  call_id: string;
  protocol: string;
  language: string;
  parties: string[];
  started_at: string;
  ended_at: string;
  duration_ms: number;
  end_reason: string;
  cut_short: boolean;
  tags: string[];
  alert_count: number;
  summary_json: string;
}

export interface WarningMessage {
  call_id: string;
  code: string;
  message: string;
  party: string;
  details_json: string;
  raised_at: string;
}

/** One CallResponse: exactly one member of the `response` oneof. */
export type CallResponseMessage =
  | { started: StartedMessage }
  | { transcript: TranscriptMessage }
  | { alert: AlertMessage }
  | { alert_withdrawn: AlertWithdrawnMessage }
  | { warning: WarningMessage }
  | { driver: DriverMessage }
  | { summary: SummaryMessage };

const SEVERITY_NAME: Record<AlertSeverity, string> = { info: 'INFO', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };
const END_REASON_NAME: Record<CallEndReason, string> = {
  stop: 'STOP',
  disconnect: 'DISCONNECT',
  shutdown: 'SHUTDOWN',
  error: 'ERROR',
  timeout: 'TIMEOUT',
  interrupted: 'INTERRUPTED',
};

export function startedMessage(config: ResolvedConfig): CallResponseMessage {
  return {
    started: {
      call_id: config.callId,
      parties: config.parties,
      encoding: config.input === 'text' ? 'ENCODING_UNSPECIFIED' : WIRE_ENCODING_NAME[config.encoding],
      sample_rate: config.sampleRate,
      channels: config.channels,
      input: config.input === 'text' ? 'TEXT' : 'AUDIO',
    },
  };
}

/** Engine event -> CallResponse. A switch over every event type: a new type fails to compile here. */
export function eventMessage(event: CallEvent): CallResponseMessage {
  switch (event.type) {
    case 'transcript':
      return { transcript: transcriptMessage(event) };
    case 'alert':
      return { alert: alertMessage(event) };
    case 'alert_withdrawn':
      return { alert_withdrawn: withdrawnMessage(event) };
    case 'warning':
      return { warning: warningMessage(event) };
    case 'driver':
      return {
        driver: {
          call_id: event.callId,
          primary_id: event.primary.id,
          primary_name: event.primary.name,
          department: event.primary.department ?? '',
          secondary_ids: event.secondary.map((d) => d.id),
          driver_json: JSON.stringify(event),
          raised_at: event.raisedAt,
        },
      };
    case 'summary':
      return { summary: summaryMessage(event) };
  }
}

function transcriptMessage(event: TranscriptEvent): TranscriptMessage {
  return {
    call_id: event.callId,
    party: event.party,
    final: event.final,
    text: event.text,
    words: event.words.map((w) => ({ word: w.word, start_ms: w.startMs, end_ms: w.endMs, conf: w.conf })),
    start_ms: event.startMs,
    end_ms: event.endMs,
    utterance: event.utterance,
  };
}

function alertMessage(event: AlertEvent): AlertMessage {
  return {
    id: event.id,
    call_id: event.callId,
    kind: event.kind,
    category: event.category,
    severity: SEVERITY_NAME[event.severity] ?? 'SEVERITY_UNSPECIFIED',
    party: event.party ?? '',
    phrase: event.phrase ?? '',
    start_ms: event.startMs,
    end_ms: event.endMs,
    tentative: event.tentative ?? false,
    tags: event.tags ?? [],
    details_json: event.details ? JSON.stringify(event.details) : '',
    raised_at: event.raisedAt,
  };
}

function withdrawnMessage(event: AlertWithdrawnEvent): AlertWithdrawnMessage {
  return { id: event.id, call_id: event.callId, kind: event.kind, category: event.category, raised_at: event.raisedAt };
}

function warningMessage(event: WarningEvent): WarningMessage {
  return {
    call_id: event.callId,
    code: event.code,
    message: event.message,
    party: event.party ?? '',
    details_json: event.details ? JSON.stringify(event.details) : '',
    raised_at: event.raisedAt,
  };
}

function summaryMessage(summary: CallSummary): SummaryMessage {
  return {
    call_id: summary.callId,
    protocol: summary.protocol,
    language: summary.language,
    parties: summary.parties,
    started_at: summary.startedAt,
    ended_at: summary.endedAt,
    duration_ms: summary.durationMs,
    end_reason: END_REASON_NAME[summary.endReason] ?? 'END_REASON_UNSPECIFIED',
    cut_short: summary.cutShort,
    tags: summary.tags,
    alert_count: summary.alertCount,
    summary_json: JSON.stringify(summary),
  };
}
