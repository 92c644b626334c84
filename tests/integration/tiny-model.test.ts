import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCallAudio } from '../../src/asr/tiny-model/call-script.js';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import { TINY_MODEL_WORDS } from '../../src/asr/tiny-model/vocabulary.js';
import { CallAudioDecoder } from '../../src/audio/call-audio-decoder.js';
import type { AudioEncoding } from '../../src/audio/format.js';

// The generated model, decoded by the real libvosk directly (the engine's own tests are elsewhere).
const require = createRequire(import.meta.url);
interface VoskWord { word: string; start: number; end: number }
interface VoskRecognizer {
  setWords(on: boolean): void;
  acceptWaveform(data: Buffer): boolean;
  result(): { result?: VoskWord[] };
  finalResult(): { result?: VoskWord[] };
  free(): void;
}
const vosk = require('vosk') as {
  setLogLevel(level: number): void;
  Model: new (dir: string) => { handle: { isNull(): boolean }; free(): void };
  Recognizer: new (opts: { model: unknown; sampleRate: number }) => VoskRecognizer;
};

describe('the tiny tone-word model in real libvosk', () => {
  let dir: string;
  let model: InstanceType<typeof vosk.Model>;
  beforeAll(() => {
    vosk.setLogLevel(-1);
    dir = mkdtempSync(join(tmpdir(), 'voc-tiny-'));
    generateTinyModel(dir);
    model = new vosk.Model(dir);
  });
  afterAll(() => {
    model.free();
    rmSync(dir, { recursive: true, force: true });
  });

  function decode(bytes: Buffer, encoding: AudioEncoding, sampleRate: number): VoskWord[] {
    const decoder = new CallAudioDecoder({ encoding, sampleRate, channels: 1 }, ['a'], 16000);
    const rec = new vosk.Recognizer({ model, sampleRate: 16000 });
    rec.setWords(true);
    const words: VoskWord[] = [];
    for (const frame of [...decoder.decodeInterleaved(bytes), ...decoder.flush()]) {
      const pcm = Buffer.from(frame.modelRate.buffer, frame.modelRate.byteOffset, frame.modelRate.byteLength);
      for (let i = 0; i < pcm.length; i += 3200) if (rec.acceptWaveform(pcm.subarray(i, i + 3200))) words.push(...(rec.result().result ?? []));
    }
    words.push(...(rec.finalResult().result ?? []));
    rec.free();
    return words;
  }

  it('loads (non-NULL handle)', () => {
    expect(model.handle.isNull()).toBe(false);
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
