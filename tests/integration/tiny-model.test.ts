import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecognizer, libvosk } from '../../src/asr/libvosk.js';
import { buildCallAudio } from '../../src/asr/tiny-model/call-script.js';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import { TINY_MODEL_WORDS } from '../../src/asr/tiny-model/vocabulary.js';
import { CallAudioDecoder } from '../../src/audio/call-audio-decoder.js';
import type { AudioEncoding } from '../../src/audio/format.js';

// The generated model, decoded by the real libvosk directly (the engine's own tests are elsewhere).
interface VoskWord { word: string; start: number; end: number }
const words = (json: string | null): VoskWord[] => (JSON.parse(json ?? '{}') as { result?: VoskWord[] }).result ?? [];

describe('the tiny tone-word model in real libvosk', () => {
  let dir: string;
  let model: number;
  const lib = libvosk();
  beforeAll(() => {
    lib.setLogLevel(-1);
    dir = mkdtempSync(join(tmpdir(), 'voc-tiny-'));
    generateTinyModel(dir);
    model = lib.modelNew(dir);
  });
  afterAll(() => {
    lib.modelFree(model);
    rmSync(dir, { recursive: true, force: true });
  });

  function decode(bytes: Buffer, encoding: AudioEncoding, sampleRate: number): VoskWord[] {
    const decoder = new CallAudioDecoder({ encoding, sampleRate, channels: 1 }, ['a'], 16000);
    const rec = createRecognizer(model, 16000, false);
    const out: VoskWord[] = [];
    for (const frame of [...decoder.decodeInterleaved(bytes), ...decoder.flush()]) {
      for (let i = 0; i < frame.modelRate.length; i += 1600) {
        const chunk = frame.modelRate.subarray(i, i + 1600);
        if (lib.acceptWaveform(rec, chunk, chunk.byteLength) === 1) out.push(...words(lib.result(rec)));
      }
    }
    out.push(...words(lib.finalResult(rec)));
    lib.recognizerFree(rec);
    return out;
  }

  it('loads (non-NULL handle)', () => {
    expect(model).not.toBe(0);
  });

  const cases: Array<[AudioEncoding, number, number]> = [
    ['pcm16', 16000, 8000],
    ['mulaw', 8000, 8000],
    ['alaw', 8000, 1000],
    ['pcm16', 8000, 25000],
  ];
  it.each(cases)('recognizes every word with its timing (%s %i Hz, amplitude %i)', (encoding, sampleRate, amplitude) => {
    const text = [...TINY_MODEL_WORDS, ...[...TINY_MODEL_WORDS].reverse()].join(' ');
    const call = buildCallAudio([{ party: 'a', atMs: 500, text }], { parties: ['a'], sampleRate, encoding, speak: { amplitude } });
    const words = decode(call.bytes, encoding, sampleRate);
    expect(words.map((w) => w.word).join(' ')).toBe(text);
    words.forEach((w, i) => {
      expect(Math.abs(w.start * 1000 - call.words[i]!.startMs)).toBeLessThanOrEqual(60);
      expect(Math.abs(w.end * 1000 - call.words[i]!.endMs)).toBeLessThanOrEqual(60);
    });
  });

  it('hears no words in silence or broadband noise', () => {
    const n = 8000 * 3;
    const noise = new Int16Array(n);
    let seed = 7;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      noise[i] = Math.round(((seed / 2 ** 32) * 2 - 1) * 6000);
    }
    expect(decode(Buffer.from(noise.buffer), 'pcm16', 8000)).toEqual([]);
    expect(decode(Buffer.alloc(n * 2), 'pcm16', 8000)).toEqual([]);
  });
});
