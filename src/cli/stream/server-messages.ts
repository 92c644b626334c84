import { z } from 'zod';
import { alertWireSchema, alertWithdrawnWireSchema } from '../../events/alert-wire.js';
import { EVENT_SCHEMA_VERSION } from '../../events/schema.js';
import { warningEventSchema } from '../../events/wire.js';
import { driverEventWireSchema } from '../../events/voc-wire.js';

/**
 * What a `/v1/stream` server sends, as `voc stream` reads it: JSON from another process, so validated
 * before use. Only the fields the client prints or acts on are required; the rest is kept (fields
 * may be added within a schema version).
 */
const v = z.literal(EVENT_SCHEMA_VERSION);

export const startedSchema = z
  .object({ type: z.literal('started'), v, callId: z.string(), parties: z.array(z.string()), encoding: z.string(), sampleRate: z.number(), channels: z.number() })
  .loose();

export const transcriptSchema = z
  .object({ type: z.literal('transcript'), v, callId: z.string(), party: z.string(), final: z.boolean(), text: z.string(), startMs: z.number(), endMs: z.number() })
  .loose();

const partyAudioSchema = z.object({ receivedMs: z.number(), droppedMs: z.number() }).loose();

export const summarySchema = z
  .object({
    type: z.literal('summary'),
    v,
    callId: z.string(),
    durationMs: z.number(),
    endReason: z.enum(['stop', 'disconnect', 'shutdown', 'error', 'timeout']),
    cutShort: z.boolean(),
    tags: z.array(z.string()),
    alertCount: z.number(),
    audio: z.record(z.string(), partyAudioSchema),
  })
  .loose();

export const errorSchema = z.object({ type: z.literal('error'), v, code: z.string(), message: z.string(), callId: z.string().optional() }).loose();

export const serverMessageSchema = z.discriminatedUnion('type', [
  startedSchema,
  transcriptSchema,
  alertWireSchema,
  alertWithdrawnWireSchema,
  driverEventWireSchema,
  warningEventSchema.loose(),
  summarySchema,
  errorSchema,
]);

export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type StartedMessage = z.infer<typeof startedSchema>;
export type SummaryMessage = z.infer<typeof summarySchema>;
export type ErrorMessage = z.infer<typeof errorSchema>;

/** Parses one text frame; the error text says what was wrong, for a warning line. */
export function parseServerMessage(text: string): { ok: true; message: ServerMessage } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const parsed = serverMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}` };
}
