import { z } from 'zod';
import { AUDIO_ENCODINGS } from '../../audio/format.js';
import { EVENT_SCHEMA_VERSION } from '../../events/schema.js';

/**
 * Client messages of the native `/v1/stream` protocol (text frames). Binary frames between `start`
 * and `stop` carry interleaved audio in the announced encoding.
 */
export const startMessageSchema = z
  .object({
    type: z.literal('start'),
    callId: z.string().min(1).max(128),
    encoding: z.enum(AUDIO_ENCODINGS),
    sampleRate: z.number().int().positive(),
    channels: z.number().int().min(1),
    /** parties[i] names channel i. */
    parties: z.array(z.string().min(1).max(64)).min(1),
    language: z.string().min(2).max(16).default('en'),
    metadata: z.record(z.string(), z.unknown()).default({}),
    /**
     * Push back instead of dropping: the server stops reading this socket while the recognizer
     * backlog is over half of asr.maxQueueMs (TCP flow control then slows the client). For clients
     * that send faster than real time (files); a live call should leave it off.
     */
    flowControl: z.boolean().default(false),
  })
  .strict();

export const stopMessageSchema = z.object({ type: z.literal('stop') }).strict();

export const clientMessageSchema = z.discriminatedUnion('type', [startMessageSchema, stopMessageSchema]);

export type StartMessage = z.infer<typeof startMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export const CLIENT_MESSAGE_TYPES = ['start', 'stop'] as const;

/** The server's answer to `start`: the call was admitted; echoes what the engine will use. */
export const startedMessageSchema = z
  .object({
    type: z.literal('started'),
    v: z.literal(EVENT_SCHEMA_VERSION),
    callId: z.string(),
    parties: z.array(z.string()),
    encoding: z.enum(AUDIO_ENCODINGS),
    sampleRate: z.number(),
    channels: z.number(),
    flowControl: z.boolean(),
  })
  .meta({ title: 'Started', description: "The server's answer to start: the call was admitted" });
export type StartedMessage = z.infer<typeof startedMessageSchema>;
