import { z } from 'zod';
import type { TranscriptEvent, WordTiming } from '../../events/schema.js';
import { CallInputError } from '../../session/errors.js';

/*
 * Wire shapes of vosk.stt.v1.SttService/StreamingRecognize (protos/vosk/stt/v1/stt_service.proto,
 * vosk-server's own proto) as grpc-js decodes them with LOADER_OPTIONS. The responses mirror what
 * vosk-server's grpc/stt_server.py builds from libvosk's JSON results.
 */

/** vosk-server ignores audio_encoding and reads every chunk as PCM16; so do we for both of these. */
const PCM16_ENCODINGS = ['LINEAR16_PCM', 'AUDIO_ENCODING_UNSPECIFIED'];

export const recognitionSpecSchema = z.object({
  audio_encoding: z.union([z.string(), z.number()]),
  sample_rate_hertz: z.number().int(),
  language_code: z.string().max(16),
  partial_results: z.boolean(),
  // Accepted for compatibility, not used: see docs/protocols/vosk-grpc.md.
  profanity_filter: z.boolean(),
  model: z.string(),
  single_utterance: z.boolean(),
  raw_results: z.boolean(),
  max_alternatives: z.number().int(),
  enable_word_time_offsets: z.boolean(),
});

export const streamingRequestSchema = z.discriminatedUnion('streaming_request', [
  z.object({
    streaming_request: z.literal('config'),
    config: z.object({ specification: recognitionSpecSchema.nullable() }),
  }),
  z.object({ streaming_request: z.literal('audio_content'), audio_content: z.instanceof(Buffer) }),
]);

export type StreamingRequestMessage = z.infer<typeof streamingRequestSchema>;
export type RecognitionSpecMessage = z.infer<typeof recognitionSpecSchema>;

export function parseStreamingRequest(message: unknown): StreamingRequestMessage {
  const kind = typeof message === 'object' && message !== null ? (message as { streaming_request?: unknown }).streaming_request : undefined;
  if (kind !== 'config' && kind !== 'audio_content')
    throw new CallInputError('unknown_message', 'StreamingRecognitionRequest must set config or audio_content');
  const parsed = streamingRequestSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CallInputError(kind === 'config' ? 'bad_start' : 'bad_message', `invalid ${kind}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface ResolvedSpec {
  sampleRate: number;
  partials: boolean;
  /** Empty when the client did not say (the engine default applies). */
  language: string;
}

export function resolveSpec(spec: RecognitionSpecMessage | null): ResolvedSpec {
  if (!spec) throw new CallInputError('bad_start', 'config.specification is required (sample_rate_hertz at least)');
  if (typeof spec.audio_encoding !== 'string' || !PCM16_ENCODINGS.includes(spec.audio_encoding))
    throw new CallInputError('unsupported_encoding', `audio_encoding must be LINEAR16_PCM (got ${JSON.stringify(spec.audio_encoding)})`);
  if (spec.sample_rate_hertz <= 0) throw new CallInputError('unsupported_sample_rate', 'specification.sample_rate_hertz is required (Hz)');
  return { sampleRate: spec.sample_rate_hertz, partials: spec.partial_results, language: spec.language_code };
}

/* ----------------------------------- engine -> client ----------------------------------------- */

/** google.protobuf.Duration. */
export interface DurationMessage {
  seconds: number;
  nanos: number;
}

export interface WordInfoMessage {
  start_time: DurationMessage;
  end_time: DurationMessage;
  word: string;
  confidence: number;
}

export interface AlternativeMessage {
  text: string;
  confidence: number;
  words: WordInfoMessage[];
}

export interface ChunkMessage {
  alternatives: AlternativeMessage[];
  final: boolean;
  end_of_utterance: boolean;
}

export interface StreamingResponseMessage {
  chunks: ChunkMessage[];
}

/** Milliseconds -> Duration (whole seconds + nanoseconds, nanos always in 0..999_999_999). */
export function msToDuration(ms: number): DurationMessage {
  const totalNanos = Math.round(Math.max(0, ms) * 1e6);
  const seconds = Math.floor(totalNanos / 1e9);
  return { seconds, nanos: totalNanos - seconds * 1e9 };
}

/**
 * A transcript as vosk-server would send it: one chunk with one alternative. Partials carry text only;
 * finals carry the words and, as vosk-server does, the mean word confidence (1.0 without words).
 * Finals also set end_of_utterance: each of our finals closes an utterance (vosk-server leaves it false).
 */
export function transcriptResponse(event: TranscriptEvent): StreamingResponseMessage {
  if (!event.final) return partialResponse(event.text);
  return finalResponse(event.text, event.words);
}

export function partialResponse(text: string): StreamingResponseMessage {
  return { chunks: [{ alternatives: [{ text, confidence: 0, words: [] }], final: false, end_of_utterance: false }] };
}

export function finalResponse(text: string, words: readonly WordTiming[]): StreamingResponseMessage {
  const confidence = words.length > 0 ? words.reduce((sum, w) => sum + w.conf, 0) / words.length : 1;
  return {
    chunks: [
      {
        alternatives: [
          {
            text,
            confidence,
            words: words.map((w) => ({ start_time: msToDuration(w.startMs), end_time: msToDuration(w.endMs), word: w.word, confidence: w.conf })),
          },
        ],
        final: true,
        end_of_utterance: true,
      },
    ],
  };
}
