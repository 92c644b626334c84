import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { EVENT_SCHEMA_VERSION, type TranscriptEvent } from '../../src/events/schema.js';
import { authorizeAudioHook } from '../../src/ingest/audiohook/auth.js';
import { durationToMs, msToDuration } from '../../src/ingest/audiohook/messages.js';
import { selectMedia } from '../../src/ingest/audiohook/session.js';
import { sampleRateSchema } from '../../src/ingest/fork/messages.js';
import { TrackClock, silenceBytes } from '../../src/ingest/track-clock.js';
import { mediaMessageSchema } from '../../src/ingest/twilio/messages.js';
import { resultReply } from '../../src/ingest/vosk/messages.js';
import { closeReason } from '../../src/ingest/ws-socket.js';
import { MULAW_TO_LINEAR } from '../../src/audio/g711.js';

describe('TrackClock', () => {
  it('fills short gaps beyond the tolerance with silence and skips the rest of long ones', () => {
    const clock = new TrackClock(8000, 40, 5000, 4 * 3600 * 1000);
    expect(clock.gapBefore(0)).toEqual({ fill: 0, skip: 0 });
    clock.advance(160); // 20 ms
    expect(clock.gapBefore(40)).toEqual({ fill: 0, skip: 0 }); // 20 ms late: jitter
    expect(clock.gapBefore(1020)).toEqual({ fill: 8000, skip: 0 }); // 1 s gap
    clock.advance(160); // audio 1020..1040
    expect(clock.gapBefore(1040 + 9000)).toEqual({ fill: 40_000, skip: 32_000 }); // 9 s gap: 5 s filled, 4 s skipped
    expect(clock.positionMs).toBe(10_040);
    expect(clock.filledMs).toBe(6000);
    expect(clock.unfilledMs).toBe(4000);
  });

  it('after a long jump, the packets that follow it get no more silence', () => {
    const clock = new TrackClock(8000, 40, 5000, 4 * 3600 * 1000);
    clock.advance(160); // audio 0..20 ms
    expect(clock.gapBefore(60_020)).toEqual({ fill: 40_000, skip: 440_000 }); // 60 s jump: 5 s filled, 55 s skipped
    clock.advance(160);
    expect(clock.gapBefore(60_040)).toEqual({ fill: 0, skip: 0 });
    clock.advance(160);
    expect(clock.gapBefore(60_060)).toEqual({ fill: 0, skip: 0 });
    expect(clock.filledMs).toBe(5000);
    expect(clock.unfilledMs).toBe(55_000);
  });

  it('a jump beyond maxGapMs is refused without moving the clock (a hostile or broken timestamp)', () => {
    const clock = new TrackClock(8000, 40, 5000, 3_600_000);
    clock.advance(160);
    expect(() => clock.gapBefore(999_999_999_999_999)).toThrow(/limits\.maxGapMs \(3600000\)/);
    expect(clock.positionMs).toBe(20);
    expect(clock.gapBefore(3_600_000)).toEqual({ fill: 40_000, skip: 28_800_000 - 160 - 40_000 });
  });

  it('makes silence that decodes to zero', () => {
    expect([...silenceBytes('mulaw', 4)].map((b) => MULAW_TO_LINEAR[b])).toEqual([0, 0, 0, 0]);
    expect(silenceBytes('pcm16', 3, 2)).toHaveLength(12);
  });
});

describe('wire helpers', () => {
  it('AudioHook durations are seconds on the wire, milliseconds inside', () => {
    expect(durationToMs('PT1.25S')).toBe(1250);
    expect(durationToMs('PT0S')).toBe(0);
    expect(msToDuration(1250)).toBe('PT1.25S');
  });

  it('AudioHook media selection prefers stereo PCMU at an allowed rate', () => {
    const offer = (format: 'PCMU' | 'L16', channels: Array<'external' | 'internal'>, rate = 8000) => ({ type: 'audio' as const, format, channels, rate });
    expect(selectMedia([offer('PCMU', ['external']), offer('PCMU', ['internal', 'external'])], [8000])).toEqual(offer('PCMU', ['internal', 'external']));
    expect(selectMedia([offer('L16', ['external', 'internal']), offer('PCMU', ['internal'])], [8000])).toEqual(offer('PCMU', ['internal']));
    expect(selectMedia([offer('PCMU', ['external', 'internal'], 44100)], [8000, 16000])).toBeUndefined();
    expect(selectMedia([offer('PCMU', ['external', 'external'])], [8000])).toBeUndefined();
  });

  it('AudioHook API keys: missing, wrong, right, and fail-closed with no keys', () => {
    const req = (key?: string) => ({ headers: key === undefined ? {} : { 'x-api-key': key } }) as unknown as IncomingMessage;
    const config = configSchema.parse({ auth: { apiKeys: ['right-key-123'] } });
    expect(authorizeAudioHook(req(), config)).toBe(401);
    expect(authorizeAudioHook(req('wrong-key-123'), config)).toBe(401);
    expect(authorizeAudioHook(req('right-key-123'), config)).toBeUndefined();
    expect(authorizeAudioHook(req('right-key-123'), configSchema.parse({}))).toBe(401);
    expect(authorizeAudioHook(req(), configSchema.parse({ protocols: { audiohook: { requireApiKey: false } } }))).toBeUndefined();
  });

  it('Twilio media: string counters become numbers, payload must be base64', () => {
    const media = (payload: string) => ({ event: 'media', sequenceNumber: '3', media: { track: 'inbound', chunk: '1', timestamp: '5', payload }, streamSid: 'MZ1' });
    expect(mediaMessageSchema.parse(media('no+JhoaJjpz=')).media.timestamp).toBe(5);
    expect(mediaMessageSchema.safeParse(media('%%%')).success).toBe(false);
  });

  it('fork sample rates: Hz or mod_audio_fork "8k"/"16k"', () => {
    expect(sampleRateSchema.parse('16k')).toBe(16000);
    expect(sampleRateSchema.parse(8000)).toBe(8000);
    expect(sampleRateSchema.parse('8000')).toBe(8000);
    expect(sampleRateSchema.safeParse('fast').success).toBe(false);
  });

  it('close reasons fit the 123-byte limit', () => {
    expect(Buffer.byteLength(closeReason('é'.repeat(200)))).toBeLessThanOrEqual(123);
  });
});

describe('vosk replies', () => {
  const final = (text: string, startMs: number): TranscriptEvent => ({
    type: 'transcript',
    v: EVENT_SCHEMA_VERSION,
    callId: 'c',
    party: 'customer',
    final: true,
    text,
    words: text.split(' ').map((word, i) => ({ word, startMs: startMs + i * 550, endMs: startMs + i * 550 + 400, conf: 0.9 })),
    startMs,
    endMs: startMs + 1000,
    utterance: 0,
  });

  it('results carry seconds, merge several finals, and follow words/max_alternatives', () => {
    expect(resultReply([final('hello supervisor', 300)], { words: true, maxAlternatives: 0 })).toEqual({
      result: [
        { conf: 0.9, end: 0.7, start: 0.3, word: 'hello' },
        { conf: 0.9, end: 1.25, start: 0.85, word: 'supervisor' },
      ],
      text: 'hello supervisor',
    });
    expect(resultReply([final('hello', 0), final('thanks', 2000)], { words: false, maxAlternatives: 0 })).toEqual({ text: 'hello thanks' });
    expect(resultReply([], { words: true, maxAlternatives: 0 })).toEqual({ text: '' });
    expect(resultReply([final('hello', 0)], { words: true, maxAlternatives: 2 })).toEqual({
      alternatives: [{ confidence: 0.9, result: [{ end: 0.4, start: 0, word: 'hello' }], text: 'hello' }],
    });
  });
});
