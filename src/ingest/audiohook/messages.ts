import { z } from 'zod';

/**
 * Genesys Cloud AudioHook protocol, version 2: message shapes as in the protocol reference
 * (developer.genesys.cloud/devapps/audiohook) and the reference implementation
 * (purecloudlabs/audiohook-reference-implementation, app/audiohook/src/protocol). Parameters allow
 * extra fields (the client may add some in later revisions); required fields are checked.
 */

export const NULL_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_PATTERN = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000)$/;
/** ISO 8601 duration in seconds, the protocol's only time unit on the wire: "PT1.25S". */
const DURATION_PATTERN = /^PT(?:\d*\.)?\d+S$/;

export const uuid = z.string().regex(UUID_PATTERN, 'must be a UUID');
const sequenceNumber = z.number().int().nonnegative();
export const duration = z.string().regex(DURATION_PATTERN, 'must be an ISO 8601 duration in seconds, e.g. "PT1.5S"');

export function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID_PATTERN.test(value);
}

/** "PT1.25S" -> 1250 (milliseconds, the engine's unit). */
export function durationToMs(value: string): number {
  return Math.round(Number(value.slice(2, -1)) * 1000);
}

/** 1250 -> "PT1.25S". */
export function msToDuration(ms: number): string {
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

export const MEDIA_CHANNELS = ['external', 'internal'] as const;
export type MediaChannel = (typeof MEDIA_CHANNELS)[number];

export const mediaParameterSchema = z.object({
  type: z.literal('audio'),
  format: z.enum(['PCMU', 'L16']),
  channels: z.array(z.enum(MEDIA_CHANNELS)).min(1).max(2),
  rate: z.number().int().positive(),
});
export type MediaParameter = z.infer<typeof mediaParameterSchema>;

/** Envelope of every client message (the "envelope" validation layer). */
export const clientEnvelopeSchema = z.object({
  version: z.literal('2'),
  id: uuid,
  type: z.string(),
  seq: sequenceNumber,
  serverseq: sequenceNumber,
  position: duration,
  parameters: z.record(z.string(), z.unknown()),
});
export type ClientEnvelope = z.infer<typeof clientEnvelopeSchema>;

const participantSchema = z.object({
  id: z.string(),
  ani: z.string().default(''),
  aniName: z.string().default(''),
  dnis: z.string().default(''),
});

export const openParametersSchema = z.object({
  organizationId: uuid,
  conversationId: uuid,
  participant: participantSchema,
  media: z.array(mediaParameterSchema),
  language: z.string().min(2).max(16).optional(),
  supportedLanguages: z.boolean().optional(),
  continuedSessions: z.array(z.unknown()).optional(),
  customConfig: z.record(z.string(), z.unknown()).optional(),
});

const clientMessage = <T extends string, P extends z.ZodTypeAny>(type: T, parameters: P) =>
  clientEnvelopeSchema.extend({ type: z.literal(type), parameters });

export const openMessageSchema = clientMessage('open', openParametersSchema);
export const pingMessageSchema = clientMessage('ping', z.object({ rtt: duration.optional() }));
export const pausedMessageSchema = clientMessage('paused', z.object({}));
export const resumedMessageSchema = clientMessage('resumed', z.object({ start: duration, discarded: duration }));
export const discardedMessageSchema = clientMessage('discarded', z.object({ start: duration, discarded: duration }));
export const updateMessageSchema = clientMessage('update', z.object({ language: z.string().min(2).max(16) }));
export const closeMessageSchema = clientMessage('close', z.object({ reason: z.enum(['end', 'error', 'disconnect', 'reconnect']) }));
export const errorMessageSchema = clientMessage(
  'error',
  z.object({ code: z.number().int().min(400).max(9999), message: z.string(), retryAfter: duration.optional() }),
);

export const clientMessageSchema = z.discriminatedUnion('type', [
  openMessageSchema,
  pingMessageSchema,
  pausedMessageSchema,
  resumedMessageSchema,
  discardedMessageSchema,
  updateMessageSchema,
  closeMessageSchema,
  errorMessageSchema,
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export type OpenMessage = z.infer<typeof openMessageSchema>;
export type CloseReason = z.infer<typeof closeMessageSchema>['parameters']['reason'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ['open', 'ping', 'paused', 'resumed', 'discarded', 'update', 'close', 'error'];

/** Server messages this engine sends, by type, with their parameters. */
export interface ServerParameters {
  opened: { media: MediaParameter[]; startPaused: boolean; supportedLanguages?: string[] };
  pong: Record<string, never>;
  closed: Record<string, never>;
  disconnect: { reason: 'completed' | 'unauthorized' | 'error'; info?: string };
}
export type ServerMessageType = keyof ServerParameters;

export interface ServerMessage<T extends ServerMessageType = ServerMessageType> {
  version: '2';
  id: string;
  type: T;
  seq: number;
  clientseq: number;
  parameters: ServerParameters[T];
}
