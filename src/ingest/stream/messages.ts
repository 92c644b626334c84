import { z } from 'zod';
import { AUDIO_ENCODINGS } from '../../audio/format.js';
import { EVENT_SCHEMA_VERSION } from '../../events/schema.js';

/**
 * Client messages of the native `/v1/stream` protocol (text frames). Binary frames between `start`
 * and `stop` carry interleaved audio in the announced encoding; a text call (`input: "text"`)
 * sends `utterance` messages instead.
 */
export const startMessageSchema = z
  .object({
    type: z.literal('start'),
    callId: z.string().min(1).max(128),
    /** 'audio' (default): binary audio frames follow. 'text': utterance messages follow, no audio. */
    input: z.enum(['audio', 'text']).default('audio'),
    /** Audio calls: required. Text calls: not used. */
    encoding: z.enum(AUDIO_ENCODINGS).optional(),
    sampleRate: z.number().int().positive().optional(),
    channels: z.number().int().min(1).optional(),
    /** parties[i] names channel i (a text call: the parties that may speak). */
    parties: z.array(z.string().min(1).max(64)).min(1).max(64),
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

export const stopMessageSchema = z
  .object({
    type: z.literal('stop'),
    /** Text calls: the call's length, ms (default: the end of the last utterance). */
    durationMs: z.number().optional(),
  })
  .strict();

/** A word of an utterance, with its times; conf defaults to 1 (a transcript without confidences). */
export const utteranceWordSchema = z.object({
  word: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  conf: z.number().min(0).max(1).default(1),
});

/**
 * One utterance of a text call. The field names are a public contract (external tools send them).
 * Unknown fields are ignored; sizes, times and parties are checked by the session (TextTranscriber).
 */
export const utteranceMessageSchema = z.object({
  type: z.literal('utterance'),
  party: z.string(),
  text: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  /** false: a partial hypothesis that a later utterance of the same party replaces. */
  final: z.boolean().default(true),
  words: z.array(utteranceWordSchema).optional(),
});

export const clientMessageSchema = z.discriminatedUnion('type', [startMessageSchema, stopMessageSchema, utteranceMessageSchema]);

export type StartMessage = z.infer<typeof startMessageSchema>;
export type UtteranceMessage = z.infer<typeof utteranceMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export const CLIENT_MESSAGE_TYPES = ['start', 'stop', 'utterance'] as const;

/** The server's answer to `start`: the call was admitted; echoes what the engine will use. */
export const startedMessageSchema = z
  .object({
    type: z.literal('started'),
    v: z.literal(EVENT_SCHEMA_VERSION),
    callId: z.string(),
    parties: z.array(z.string()),
    /** Present for text calls only. */
    input: z.literal('text').optional(),
    /** Audio calls only (below too). */
    encoding: z.enum(AUDIO_ENCODINGS).optional(),
    sampleRate: z.number().optional(),
    channels: z.number().optional(),
    flowControl: z.boolean().optional(),
  })
  .meta({ title: 'Started', description: "The server's answer to start: the call was admitted" });
export type StartedMessage = z.infer<typeof startedMessageSchema>;
