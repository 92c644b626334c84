import type { MethodDefinition } from '@grpc/proto-loader';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION, type AlertEvent, type CallSummary, type TranscriptEvent } from '../../src/events/schema.js';
import { loadGrpcProtos } from '../../src/ingest/grpc/protos.js';
import { GRPC_STATUS_FOR, statusFor, ERROR_CODE_METADATA_KEY } from '../../src/ingest/grpc/status.js';
import { eventMessage, parseCallRequest, resolveConfig } from '../../src/ingest/grpc/voc-messages.js';
import { finalResponse, msToDuration, parseStreamingRequest, resolveSpec, transcriptResponse } from '../../src/ingest/grpc/vosk-messages.js';
import { CallInputError, INPUT_ERROR_CODES } from '../../src/session/errors.js';
import { inputError } from '../helpers/errors.js';

// Messages go through the real proto encoding (serialize on one side, deserialize on the other),
// exactly as grpc-js does on the wire.
const protos = loadGrpcProtos();
const streamCall = protos.voc.StreamCall as MethodDefinition<object, object>;
const recognize = protos.vosk.StreamingRecognize as MethodDefinition<object, object>;
const viaWire = (message: object) => streamCall.requestDeserialize(streamCall.requestSerialize(message));
const responseViaWire = (message: object) => streamCall.responseDeserialize(streamCall.responseSerialize(message));
const voskViaWire = (message: object) => recognize.requestDeserialize(recognize.requestSerialize(message));

const goodConfig = { call_id: 'c-1', encoding: 'MULAW', sample_rate: 8000, channels: 2, parties: ['customer', 'agent'], metadata: { queue: 'billing' } };

describe('voc.v1 CallRequest validation', () => {
  it('accepts a config and resolves proto3 defaults', () => {
    const message = parseCallRequest(viaWire({ config: goodConfig }));
    expect(message.request).toBe('config');
    if (message.request !== 'config') return;
    expect(resolveConfig(message.config)).toEqual({
      callId: 'c-1',
      input: 'audio',
      encoding: 'mulaw',
      sampleRate: 8000,
      channels: 2,
      parties: ['customer', 'agent'],
      language: 'en',
      metadata: { queue: 'billing' },
    });
    const mono = parseCallRequest(viaWire({ config: { ...goodConfig, channels: 0, parties: ['customer'], language: 'de' } }));
    if (mono.request === 'config') expect(resolveConfig(mono.config)).toMatchObject({ channels: 1, language: 'de' });
  });

  it('accepts audio and end', () => {
    expect(parseCallRequest(viaWire({ audio: { audio: Buffer.from([1, 2]) } }))).toEqual({ request: 'audio', audio: { audio: Buffer.from([1, 2]) } });
    expect(parseCallRequest(viaWire({ end: {} }))).toEqual({ request: 'end', end: { duration_ms: 0 } });
  });

  it('rejects an empty request, an unspecified or unknown encoding, a missing rate, no parties, no call id', () => {
    expect(inputError(() => parseCallRequest(viaWire({}))).code).toBe('unknown_message');
    const resolve = (config: object) => {
      const m = parseCallRequest(viaWire({ config: { ...goodConfig, ...config } }));
      return m.request === 'config' ? resolveConfig(m.config) : undefined;
    };
    const unspecified = inputError(() => resolve({ encoding: 'ENCODING_UNSPECIFIED' }));
    expect(unspecified.code).toBe('unsupported_encoding');
    expect(unspecified.message).toMatch(/PCM16, MULAW, ALAW/);
    expect(inputError(() => resolve({ encoding: 9 })).code).toBe('unsupported_encoding');
    expect(inputError(() => resolve({ sample_rate: 0 })).code).toBe('unsupported_sample_rate');
    const noParties = inputError(() => resolve({ parties: [] }));
    expect(noParties).toMatchObject({ code: 'bad_start' });
    expect(noParties.message).toMatch(/parties/);
    expect(inputError(() => resolve({ call_id: '' })).message).toMatch(/call_id is required/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(inputError(() => resolve({ metadata: many })).message).toMatch(/field "config.metadata": at most 64 metadata entries/);
    expect(inputError(() => resolve({ metadata: { big: 'x'.repeat(5000) } })).message).toMatch(/field "config.metadata.big"/);
  });
});

describe('voc.v1 CallResponse encoding', () => {
  const transcript: TranscriptEvent = {
    type: 'transcript',
    v: EVENT_SCHEMA_VERSION,
    callId: 'c-1',
    party: 'customer',
    final: true,
    text: 'cancel account',
    words: [
      { word: 'cancel', startMs: 3000, endMs: 3400.125, conf: 0.9 },
      { word: 'account', startMs: 3550, endMs: 3950, conf: 1 },
    ],
    startMs: 3000,
    endMs: 3950,
    utterance: 2,
  };

  it('keeps every transcript field and fractional milliseconds', () => {
    expect(responseViaWire(eventMessage(transcript))).toEqual({
      response: 'transcript',
      transcript: {
        call_id: 'c-1',
        party: 'customer',
        final: true,
        text: 'cancel account',
        words: [
          { word: 'cancel', start_ms: 3000, end_ms: 3400.125, conf: 0.9 },
          { word: 'account', start_ms: 3550, end_ms: 3950, conf: 1 },
        ],
        start_ms: 3000,
        end_ms: 3950,
        utterance: 2,
      },
    });
  });

  it('maps alert severity to the enum and details to JSON', () => {
    const alert: AlertEvent = {
      type: 'alert',
      v: EVENT_SCHEMA_VERSION,
      id: 'c-1/churn',
      callId: 'c-1',
      kind: 'keyword',
      category: 'churn-risk',
      severity: 'high',
      party: 'customer',
      phrase: 'cancel account',
      startMs: 3000,
      endMs: 3950,
      tags: ['churn'],
      details: { count: 2, evidence: [{ text: 'cancel account', startMs: 3000, endMs: 3950 }] },
      raisedAt: '2024-01-01T00:00:00.000Z',
    };
    const decoded = responseViaWire(eventMessage(alert)) as { alert: Record<string, unknown> };
    expect(decoded.alert).toMatchObject({ severity: 'HIGH', tentative: false, tags: ['churn'], party: 'customer', phrase: 'cancel account' });
    expect(JSON.parse(decoded.alert.details_json as string)).toEqual(alert.details);
    const bare = responseViaWire(eventMessage({ ...alert, party: undefined, phrase: undefined, details: undefined, tags: undefined })) as {
      alert: Record<string, unknown>;
    };
    expect(bare.alert).toMatchObject({ party: '', phrase: '', details_json: '', tags: [] });
  });

  it('carries the summary typed and whole', () => {
    const summary: CallSummary = {
      type: 'summary',
      v: EVENT_SCHEMA_VERSION,
      callId: 'c-1',
      protocol: 'grpc',
      language: 'en',
      parties: ['customer', 'agent'],
      metadata: { queue: 'billing' },
      startedAt: '2024-01-01T00:00:00.000Z',
      endedAt: '2024-01-01T00:00:09.000Z',
      durationMs: 8999.875,
      endReason: 'disconnect',
      cutShort: true,
      tags: ['churn'],
      alertCount: 0,
      alerts: [],
      transcript: [],
      audio: { customer: { receivedMs: 8999.875, droppedMs: 0 } },
      analytics: { talk: { ratio: 0.5 } },
    };
    const decoded = responseViaWire(eventMessage(summary)) as { summary: Record<string, unknown> };
    expect(decoded.summary).toMatchObject({ call_id: 'c-1', end_reason: 'DISCONNECT', cut_short: true, duration_ms: 8999.875, alert_count: 0 });
    expect(JSON.parse(decoded.summary.summary_json as string)).toEqual(summary);
  });
});

describe('vosk.stt.v1 messages', () => {
  const spec = { audio_encoding: 'LINEAR16_PCM', sample_rate_hertz: 16000, partial_results: true };

  it('accepts vosk-server client configs (encoding given or left unspecified)', () => {
    const message = parseStreamingRequest(voskViaWire({ config: { specification: spec } }));
    expect(message.streaming_request).toBe('config');
    if (message.streaming_request !== 'config') return;
    expect(resolveSpec(message.config.specification)).toEqual({ sampleRate: 16000, partials: true, language: '' });
    const unspecified = parseStreamingRequest(voskViaWire({ config: { specification: { sample_rate_hertz: 8000 } } }));
    if (unspecified.streaming_request === 'config') expect(resolveSpec(unspecified.config.specification)).toMatchObject({ sampleRate: 8000, partials: false });
  });

  it('rejects a config without specification or rate, an unknown encoding, an empty request', () => {
    const resolve = (config: object) => {
      const m = parseStreamingRequest(voskViaWire({ config }));
      return m.streaming_request === 'config' ? resolveSpec(m.config.specification) : undefined;
    };
    expect(inputError(() => resolve({})).code).toBe('bad_start');
    expect(inputError(() => resolve({ specification: { ...spec, sample_rate_hertz: 0 } })).code).toBe('unsupported_sample_rate');
    expect(inputError(() => resolve({ specification: { ...spec, audio_encoding: 5 } })).code).toBe('unsupported_encoding');
    expect(inputError(() => parseStreamingRequest(voskViaWire({}))).code).toBe('unknown_message');
  });

  it('converts ms to Duration like vosk-server (seconds + nanos)', () => {
    expect(msToDuration(0)).toEqual({ seconds: 0, nanos: 0 });
    expect(msToDuration(1234)).toEqual({ seconds: 1, nanos: 234_000_000 });
    expect(msToDuration(999.9999999)).toEqual({ seconds: 1, nanos: 0 });
    expect(msToDuration(62_000.5)).toEqual({ seconds: 62, nanos: 500_000 });
  });

  it('shapes partials and finals like vosk-server', () => {
    const base = { type: 'transcript' as const, v: EVENT_SCHEMA_VERSION, callId: 'c', party: 'customer', startMs: 0, endMs: 1000, utterance: 0 };
    const partial = recognize.responseDeserialize(recognize.responseSerialize(transcriptResponse({ ...base, final: false, text: 'hello', words: [] })));
    expect(partial).toEqual({ chunks: [{ alternatives: [{ text: 'hello', confidence: 0, words: [] }], final: false, end_of_utterance: false }] });
    const final = recognize.responseDeserialize(
      recognize.responseSerialize(
        transcriptResponse({
          ...base,
          final: true,
          text: 'hello thanks',
          words: [
            { word: 'hello', startMs: 500, endMs: 900, conf: 1 },
            { word: 'thanks', startMs: 1050, endMs: 1450, conf: 0.5 },
          ],
        }),
      ),
    ) as { chunks: Array<{ alternatives: Array<{ confidence: number; words: unknown[] }>; final: boolean; end_of_utterance: boolean }> };
    expect(final.chunks[0]).toMatchObject({ final: true, end_of_utterance: true });
    expect(final.chunks[0]!.alternatives[0]!.confidence).toBeCloseTo(0.75, 6);
    expect(final.chunks[0]!.alternatives[0]!.words[1]).toEqual({
      word: 'thanks',
      start_time: { seconds: 1, nanos: 50_000_000 },
      end_time: { seconds: 1, nanos: 450_000_000 },
      confidence: 0.5,
    });
    expect(finalResponse('', []).chunks[0]!.alternatives[0]).toEqual({ text: '', confidence: 1, words: [] });
  });
});

describe('status table', () => {
  it('maps every input error code, load and auth as gRPC clients expect', () => {
    for (const code of INPUT_ERROR_CODES) expect(GRPC_STATUS_FOR[code]).toBeTypeOf('number');
    expect(GRPC_STATUS_FOR.capacity).toBe(status.RESOURCE_EXHAUSTED);
    expect(GRPC_STATUS_FOR.draining).toBe(status.UNAVAILABLE);
    expect(GRPC_STATUS_FOR.unauthenticated).toBe(status.UNAUTHENTICATED);
    expect(GRPC_STATUS_FOR.bad_frame_size).toBe(status.INVALID_ARGUMENT);
    const s = statusFor(new CallInputError('capacity', 'at capacity'));
    expect(s).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'capacity: at capacity' });
    expect(s.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['capacity']);
  });
});
