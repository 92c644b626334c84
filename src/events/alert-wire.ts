import { z } from 'zod';
import { alertEventSchema, alertWithdrawnEventSchema } from './wire.js';

/**
 * Entries of the global alert stream as read back by consumers (`voc alerts`): JSON written by another
 * process, so validated before use. Unknown fields are kept (fields may be added within a version).
 */
export const alertWireSchema = alertEventSchema.loose();
export const alertWithdrawnWireSchema = alertWithdrawnEventSchema.loose();

export const alertStreamEventSchema = z.discriminatedUnion('type', [alertWireSchema, alertWithdrawnWireSchema]);
export type AlertStreamEvent = z.infer<typeof alertStreamEventSchema>;
