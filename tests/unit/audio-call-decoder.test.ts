import { describe, it, expect } from 'vitest';
import { CallAudioDecoder, type DecodedFrame } from '../../src/audio/call-audio-decoder.js';
import type { WireAudioFormat } from '../../src/audio/format.js';
import { alawEncode, mulawDecode, mulawEncode } from '../../src/audio/g711.js';
import { int16ToPcm16le } from '../../src/audio/pcm16.js';
import { Resampler } from '../../src/audio/resampler.js';
import { inputError } from '../helpers/errors.js';

function tone(n: number, freq: number, rate: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)));
}

function interleave(tracks: Int16Array[]): Int16Array {
  const n = tracks[0]!.length;
  const out = new Int16Array(n * tracks.length);
  tracks.forEach((t, c) => t.forEach((s, i) => (out[i * tracks.length + c] = s)));
  return out;
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Feeds `wire` in 20 ms messages and collects each party's call-rate and model-rate audio. */
function decodeCall(decoder: CallAudioDecoder, wire: Uint8Array, messageBytes: number): Map<string, { call: Int16Array; model: Int16Array; frames: DecodedFrame[] }> {
  const frames: DecodedFrame[] = [];
  for (let i = 0; i < wire.length; i += messageBytes) frames.push(...decoder.decodeInterleaved(wire.subarray(i, i + messageBytes)));
  frames.push(...decoder.flush());
  const out = new Map<string, { call: Int16Array; model: Int16Array; frames: DecodedFrame[] }>();
  for (const party of new Set(frames.map((f) => f.party))) {
    const mine = frames.filter((f) => f.party === party);
    out.set(party, { call: concat(mine.map((f) => f.callRate)), model: concat(mine.map((f) => f.modelRate)), frames: mine });
  }
  return out;
}

describe('CallAudioDecoder', () => {
  it('decodes 8 kHz stereo mu-law into per-party audio at 8 and 16 kHz', () => {
    const customer = tone(8000, 440, 8000, 8000);
    const agent = tone(8000, 1000, 8000, 12000);
    const wire = mulawEncode(interleave([customer, agent]));
    const decoder = new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, ['customer', 'agent'], 16000);
    const result = decodeCall(decoder, wire, 320);
    for (const [party, source] of [
      ['customer', customer],
      ['agent', agent],
    ] as const) {
      const got = result.get(party)!;
      // Call rate: exactly the G.711 decode of that channel.
      expect(got.call).toEqual(mulawDecode(mulawEncode(source)));
      // Model rate: exactly what one streaming resampler makes of it, flush included.
      const reference = new Resampler(8000, 16000);
      expect(got.model).toEqual(concat([reference.process(got.call), reference.flush()]));
      expect(got.model.length).toBe(16000);
      // startSample counts call-rate samples per party: 160 per 20 ms message.
      expect(got.frames.slice(0, 3).map((f) => f.startSample)).toEqual([0, 160, 320]);
      expect(got.frames.at(-1)!.startSample).toBe(8000);
    }
  });

  it('decodes pcm16 stereo, also from an odd byte offset, and equal rates reuse the array', () => {
    const a = tone(1600, 300, 16000, 20000);
    const b = tone(1600, 2500, 16000, -15000);
    const bytes = int16ToPcm16le(interleave([a, b]));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const decoder = new CallAudioDecoder({ encoding: 'pcm16', sampleRate: 16000, channels: 2 }, ['a', 'b'], 16000);
    const frames = decoder.decodeInterleaved(shifted.subarray(1));
    expect(frames[0]!.callRate).toEqual(a);
    expect(frames[1]!.callRate).toEqual(b);
    expect(frames[0]!.modelRate).toBe(frames[0]!.callRate);
    expect(decoder.flush().every((f) => f.modelRate.length === 0 && f.callRate.length === 0)).toBe(true);
  });

  it('decodes one party at a time, without sharing memory with the wire bytes', () => {
    const decoder = new CallAudioDecoder({ encoding: 'pcm16', sampleRate: 8000, channels: 2 }, ['customer', 'agent'], 16000);
    const samples = tone(160, 500, 8000, 10000);
    const wire = int16ToPcm16le(samples);
    const first = decoder.decodeParty('agent', wire);
    wire.fill(0);
    expect(first.callRate).toEqual(samples);
    expect(first.party).toBe('agent');
    expect(first.startSample).toBe(0);
    expect(decoder.decodeParty('agent', wire).startSample).toBe(160);
    expect(decoder.decodeParty('customer', wire).startSample).toBe(0);
  });

  it('decodes A-law', () => {
    const samples = tone(800, 700, 8000, 9000);
    const decoder = new CallAudioDecoder({ encoding: 'alaw', sampleRate: 8000, channels: 1 }, ['caller'], 8000);
    const [frame] = decoder.decodeInterleaved(alawEncode(samples));
    let worst = 0;
    samples.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - frame!.callRate[i]!))));
    expect(worst).toBeLessThanOrEqual(256); // half the largest A-law step used by a 9000-peak tone
  });

  it('rejects partial sample frames and unknown parties', () => {
    const stereoMulaw = new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, ['a', 'b'], 16000);
    expect(inputError(() => stereoMulaw.decodeInterleaved(new Uint8Array(3))).code).toBe('bad_frame_size');
    expect(inputError(() => stereoMulaw.decodeParty('nobody', new Uint8Array(2))).code).toBe('bad_message');
    const stereoPcm = new CallAudioDecoder({ encoding: 'pcm16', sampleRate: 8000, channels: 2 }, ['a', 'b'], 16000);
    expect(inputError(() => stereoPcm.decodeInterleaved(new Uint8Array(6))).code).toBe('bad_frame_size');
    expect(inputError(() => stereoPcm.decodeParty('a', new Uint8Array(3))).code).toBe('bad_frame_size');
    expect(stereoPcm.decodeInterleaved(new Uint8Array(0))).toEqual([]);
  });

  it('rejects formats it cannot decode', () => {
    expect(inputError(() => new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, ['a'], 16000)).code).toBe('bad_start');
    expect(inputError(() => new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, ['a', 'a'], 16000)).code).toBe('bad_start');
    expect(inputError(() => new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 7999, channels: 1 }, ['a'], 16000)).code).toBe(
      'unsupported_sample_rate',
    );
    // As if a protocol adapter let an unknown encoding through.
    const bogus = { encoding: 'opus', sampleRate: 8000, channels: 1 } as unknown as WireAudioFormat;
    expect(inputError(() => new CallAudioDecoder(bogus, ['a'], 16000)).code).toBe('unsupported_encoding');
  });
});
