import { z } from 'zod';
import { EVENT_SCHEMA_VERSION } from './schema.js';

/**
 * Entries of the global alert stream as read back by consumers (`voc alerts`): JSON written by another
 * process, so validated before use. Unknown fields are kept (fields may be added within a version).
 */
const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

export const alertWireSchema = z
  .object({
    type: z.literal('alert'),
    v: z.literal(EVENT_SCHEMA_VERSION),
    id: z.string(),
    callId: z.string(),
    kind: z.string(),
    category: z.string(),
    severity: severitySchema,
    party: z.string().optional(),
    phrase: z.string().optional(),
    startMs: z.number(),
    endMs: z.number(),
    tentative: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    raisedAt: z.string(),
  })
  .loose();

export const alertWithdrawnWireSchema = z
  .object({
    type: z.literal('alert_withdrawn'),
    v: z.literal(EVENT_SCHEMA_VERSION),
    id: z.string(),
    callId: z.string(),
    kind: z.string(),
    category: z.string(),
    raisedAt: z.string(),
  })
  .loose();

export const alertStreamEventSchema = z.discriminatedUnion('type', [alertWireSchema, alertWithdrawnWireSchema]);
export type AlertStreamEvent = z.infer<typeof alertStreamEventSchema>;
