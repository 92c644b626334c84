import { z } from 'zod';
import {
  EVENT_SCHEMA_VERSION,
  type AlertEvent,
  type AlertWithdrawnEvent,
  type CallEvent,
  type CallSummary,
  type DriverEvent,
  type ErrorEvent,
  type TranscriptEvent,
  type WarningEvent,
} from './schema.js';

/**
 * The output events of src/events/schema.ts as zod schemas: the source of the published JSON Schemas
 * and AsyncAPI document (`npm run schemas`, docs/schemas/). The compile-time checks at the end make a
 * field added to an interface without its schema (or the reverse) a build error, so the published
 * contracts cannot drift from what the engine sends.
 */

const v = z.literal(EVENT_SCHEMA_VERSION).describe('Schema version; fields may be added within a version');
const ms = (what: string) => z.number().describe(`${what}, ms from call start`);
const isoTime = (what: string) => z.string().describe(`${what}, ISO-8601 wall-clock time`);

export const wordTimingSchema = z.object({
  word: z.string(),
  startMs: ms('Word start'),
  endMs: ms('Word end'),
  conf: z.number().describe('Recognizer confidence 0..1'),
});

export const transcriptEventSchema = z
  .object({
    type: z.literal('transcript'),
    v,
    callId: z.string(),
    party: z.string(),
    final: z.boolean().describe('false: a partial hypothesis that may still change; true: the final result of an utterance'),
    text: z.string().describe('Transcript text (redacted when redaction is on)'),
    words: z.array(wordTimingSchema).describe('Word timings; empty for partials'),
    startMs: ms('Utterance start'),
    endMs: ms('Utterance end'),
    utterance: z.number().describe("Sequence number of the utterance within the party's stream (partials share their final's)"),
  })
  .meta({ title: 'Transcript', description: 'A partial or final transcript of one party' });

export const alertSeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

export const alertEventSchema = z
  .object({
    type: z.literal('alert'),
    v,
    id: z.string().describe('Stable id: the same occurrence always has the same id (for de-duplication)'),
    callId: z.string(),
    kind: z.string().describe("Which detector raised it: 'keyword', 'category', 'compliance', 'raised_tone', 'silence', 'overtalk', ..."),
    category: z.string().describe('Category or rule name'),
    severity: alertSeveritySchema,
    party: z.string().optional(),
    phrase: z.string().optional().describe('Matched phrase, for text detectors'),
    startMs: ms('Start of the evidence'),
    endMs: ms('End of the evidence'),
    tentative: z.boolean().optional().describe('Raised from a partial transcript; may later be withdrawn by an alert_withdrawn'),
    tags: z.array(z.string()).optional(),
    details: z.record(z.string(), z.unknown()).optional().describe('Detector-specific details (numbers, evidence)'),
    raisedAt: isoTime('When the engine raised it'),
  })
  .meta({ title: 'Alert', description: 'A detector matched (text rules, raised tone, silence, overtalk, ...)' });

export const alertWithdrawnEventSchema = z
  .object({
    type: z.literal('alert_withdrawn'),
    v,
    id: z.string().describe('id of the tentative alert withdrawn'),
    callId: z.string(),
    kind: z.string(),
    category: z.string(),
    raisedAt: isoTime('When the engine withdrew it'),
  })
  .meta({ title: 'Alert withdrawn', description: 'A tentative alert that the final transcript did not confirm' });

export const callEndReasonSchema = z
  .enum(['stop', 'disconnect', 'shutdown', 'error', 'timeout', 'interrupted'])
  .describe('interrupted: the engine process died mid-call; a restart of the same instance rebuilt the summary from Redis');

export const callSummarySchema = z
  .object({
    type: z.literal('summary'),
    v,
    callId: z.string(),
    protocol: z.string().describe('Ingest protocol: stream, twilio, audiohook, fork, vosk, grpc, vosk-grpc, replay'),
    input: z.literal('text').optional().describe("'text' for calls that sent utterances instead of audio (docs/text-input.md); absent for audio calls"),
    language: z.string(),
    parties: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    startedAt: isoTime('Call start'),
    endedAt: isoTime('Call end'),
    durationMs: z.number(),
    endReason: callEndReasonSchema,
    cutShort: z.boolean().describe("True when the call did not end by its client's own stop (shutdown, error, disconnect)"),
    tags: z.array(z.string()),
    alertCount: z.number(),
    alerts: z.array(alertEventSchema),
    transcript: z
      .array(transcriptEventSchema.pick({ party: true, text: true, startMs: true, endMs: true, words: true }))
      .describe('Final utterances of all parties in time order (redacted when redaction is on)'),
    audio: z
      .record(z.string(), z.object({ receivedMs: z.number(), droppedMs: z.number() }))
      .describe('Per-party audio and ASR accounting (empty for text calls)'),
    analytics: z.record(z.string(), z.unknown()).describe('Sections contributed by analytics detectors, keyed by detector name'),
  })
  .meta({ title: 'Call summary', description: "The call's last event: transcript, alerts, tags, analytics" });

export const warningEventSchema = z
  .object({
    type: z.literal('warning'),
    v,
    callId: z.string(),
    code: z.string().describe("What is wrong, e.g. 'model_fit'"),
    message: z.string(),
    party: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    raisedAt: isoTime('When the engine raised it'),
  })
  .meta({ title: 'Warning', description: "Results of this call are questionable (e.g. the model does not suit the audio); sent at most once per code and call" });

export const driverRefSchema = z
  .object({
    id: z.string().describe("Driver id from the rule files' drivers, or 'unclassified'"),
    name: z.string().describe('Display name, any language'),
    priority: z.number(),
    department: z.string().optional().describe('The owning department; absent for unclassified'),
    dimensions: z
      .object({ businessType: z.string().optional(), system: z.string().optional(), network: z.string().optional(), department: z.string().optional() })
      .describe('Where the driver sits on the knowledge map (values declared in the taxonomy)'),
    startMs: ms("Start of the driver's evidence").optional(),
    endMs: ms("End of the driver's evidence").optional(),
  })
  .meta({ title: 'Driver', description: 'A call driver (docs/voc.md)' });

export const driverEventSchema = z
  .object({
    type: z.literal('driver'),
    v,
    callId: z.string(),
    primary: driverRefSchema.describe('The highest-priority driver recognized so far'),
    secondary: z.array(driverRefSchema).describe('Other drivers recognized, by priority'),
    raisedAt: isoTime('When the engine recognized it'),
  })
  .meta({ title: 'Driver event', description: "The call's drivers changed: sent as soon as a driver is recognized (also on pub/sub <prefix>:drivers)" });

export const errorEventSchema = z
  .object({
    type: z.literal('error'),
    v,
    code: z.string().describe('Input error code (bad_json, bad_message, capacity, timeout, ...)'),
    message: z.string(),
    callId: z.string().optional(),
  })
  .meta({ title: 'Error', description: 'The server rejects the input; it closes the socket after this message' });

/** Every event a call emits (CallEvent), as one discriminated union. */
export const callEventSchema = z.discriminatedUnion('type', [
  transcriptEventSchema,
  alertEventSchema,
  alertWithdrawnEventSchema,
  warningEventSchema,
  driverEventSchema,
  callSummarySchema,
]);

// ---- Redis values that are not call events ----

/** `<prefix>:calls` pub/sub messages. */
export const callStartedMessageSchema = z
  .object({
    type: z.literal('call_started'),
    v,
    callId: z.string(),
    protocol: z.string(),
    parties: z.array(z.string()),
    startedAt: isoTime('Call start'),
  })
  .meta({ title: 'Call started', description: 'Published on <prefix>:calls when a call starts' });

export const callEndedMessageSchema = z
  .object({
    type: z.literal('call_ended'),
    v,
    callId: z.string(),
    endReason: callEndReasonSchema,
    endedAt: isoTime('Call end'),
    durationMs: z.number(),
  })
  .meta({ title: 'Call ended', description: 'Published on <prefix>:calls when a call ends (after its summary is stored)' });

export const callTagsMessageSchema = z
  .object({
    type: z.literal('call_tags'),
    v,
    callId: z.string(),
    tags: z.array(z.string()).describe('Tags newly applied to the call'),
  })
  .meta({ title: 'Call tags', description: 'Published on <prefix>:calls when tags are applied to a call in progress' });

export type CallStartedMessage = z.infer<typeof callStartedMessageSchema>;
export type CallTagsMessage = z.infer<typeof callTagsMessageSchema>;
export type CallEndedMessage = z.infer<typeof callEndedMessageSchema>;

const decimal = z.string().regex(/^\d+$/, 'a decimal integer');
const jsonText = (what: string) => z.string().describe(`${what}, as JSON text`);

/** `<prefix>:call:{<callId>}`: a Redis hash, so every value is a string. */
export const callHashSchema = z
  .object({
    state: z.enum(['active', 'ended', 'interrupted']).describe('interrupted: the engine process died mid-call; the end fields and summary were rebuilt from Redis by a restart of the same instance'),
    record: z.string().describe('This call among every call that used its callId (<prefix>:call:{<callId>}:records)'),
    protocol: z.string(),
    language: z.string(),
    parties: jsonText('Array of party names'),
    startedAt: isoTime('Call start'),
    startedMs: decimal.describe('Call start, ms since the epoch'),
    metadata: jsonText('Object of call metadata'),
    tagsCount: decimal,
    alertCount: decimal,
    instance: z.string().optional().describe('server.instanceId of the engine that ran the call (crash recovery finds its calls by it)'),
    endedAt: isoTime('Call end').optional(),
    endReason: callEndReasonSchema.optional(),
    cutShort: z.enum(['true', 'false']).optional(),
    durationMs: decimal.optional(),
    driver: z.string().optional().describe("The call's primary driver id (docs/voc.md), once recognized; 'unclassified' at the end when none"),
    department: z.string().optional().describe("The primary driver's department (empty for unclassified)"),
  })
  .meta({
    title: 'Call hash',
    description: 'Redis HASH <prefix>:call:{<callId>} (the latest call with that id; earlier ones at <prefix>:call:{<callId>}~<record>): call state; end fields are set when the call ends',
  });

/** An entry of `<prefix>:alerts` and `<prefix>:call:{<callId>}:alerts` (Redis STREAM). */
export const alertStreamEntrySchema = z
  .object({ event: jsonText('An alert or alert_withdrawn event') })
  .meta({ title: 'Alert stream entry', description: 'Fields of a Redis STREAM entry of the alert streams; `event` parses as Alert or Alert withdrawn' });

// ---- compile-time checks: the schemas describe exactly the engine's types ----

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile unless T is true. */
function assertSame<T extends true>(_proof?: T): void {}
assertSame<Same<z.infer<typeof transcriptEventSchema>, TranscriptEvent>>();
assertSame<Same<z.infer<typeof alertEventSchema>, AlertEvent>>();
assertSame<Same<z.infer<typeof alertWithdrawnEventSchema>, AlertWithdrawnEvent>>();
assertSame<Same<z.infer<typeof warningEventSchema>, WarningEvent>>();
assertSame<Same<z.infer<typeof driverEventSchema>, DriverEvent>>();
assertSame<Same<z.infer<typeof callSummarySchema>, CallSummary>>();
assertSame<Same<z.infer<typeof errorEventSchema>, ErrorEvent>>();
/** A new CallEvent type needs its schema in callEventSchema (then `npm run schemas`). */
assertSame<Same<z.infer<typeof callEventSchema>['type'], CallEvent['type']>>();
