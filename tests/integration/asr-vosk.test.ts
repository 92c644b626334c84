import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AsrError } from '../../src/asr/errors.js';
import { speakPhrase } from '../../src/asr/tiny-model/speak.js';
import type { Counter, Gauge } from 'prom-client';
import {
  MODEL_RATE,
  concat,
  finals,
  openEngine,
  partials,
  record,
  silence,
  tempTinyModel,
  waitUntil,
  writePackets,
} from '../helpers/asr.js';

// Real libvosk 0.3.39 on the generated tone-word model (src/asr/tiny-model): words are tones, so the
// true word times are known to the sample.

const WORD_MS = 400;
const GAP_MS = 150;
const say = (text: string) => speakPhrase(text, { sampleRate: MODEL_RATE, wordMs: WORD_MS, gapMs: GAP_MS });
/** True [start, end] of word i of a phrase starting at `atMs`. */
const trueSpan = (atMs: number, i: number) => [atMs + i * (WORD_MS + GAP_MS), atMs + i * (WORD_MS + GAP_MS) + WORD_MS];
const metricValue = async (m: Counter | Gauge) => (await m.get()).values[0]?.value ?? 0;

let model: ReturnType<typeof tempTinyModel>;
beforeAll(() => {
  model = tempTinyModel();
});
afterAll(() => model.remove());

describe('VoskAsrEngine on real libvosk', () => {
  test('exposes the model rate read from conf/mfcc.conf', async () => {
    const { engine } = await openEngine(model.dir);
    expect(engine.sampleRate).toBe(16_000);
    await engine.close();
  });

  test('streams partials, then a final whose word times are within 100 ms of the true tones', async () => {
    const { engine, metrics } = await openEngine(model.dir, { chunkMs: 100, partials: true, partialIntervalMs: 0 });
    const stream = engine.openStream({ callId: 'c1', party: 'agent', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);
    const audio = concat(silence(700), say('hello verify account'), silence(1500));
    expect(writePackets(stream, audio)).toBe(audio.length);
    await stream.end();
    await done;

    // Partials grow word by word before the final arrives.
    const firstFinal = results.findIndex((r) => r.final);
    const early = results.slice(0, firstFinal).map((r) => r.text);
    expect(early).toEqual(expect.arrayContaining(['hello', 'hello verify', 'hello verify account']));
    expect(partials(results).every((r) => r.words.length === 0)).toBe(true);

    const spoken = finals(results).filter((r) => r.text !== '');
    expect(spoken.map((r) => r.text)).toEqual(['hello verify account']);
    const words = spoken[0]!.words;
    expect(words.map((w) => w.word)).toEqual(['hello', 'verify', 'account']);
    words.forEach((w, i) => {
      const [start, end] = trueSpan(700, i);
      expect(Math.abs(w.startMs - start!)).toBeLessThanOrEqual(100);
      expect(Math.abs(w.endMs - end!)).toBeLessThanOrEqual(100);
      expect(w.conf).toBeGreaterThan(0.5);
    });
    expect(await metricValue(metrics.audioDecodedSeconds)).toBeCloseTo(audio.length / MODEL_RATE, 3);
    expect(await metricValue(metrics.asrQueueDepthSeconds)).toBe(0);
    expect((await metrics.asrRealTimeFactor.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBeGreaterThan(20);
    await engine.close();
  });

  test('end() decodes what is queued and emits the last words even without trailing silence', async () => {
    const { engine } = await openEngine(model.dir);
    const stream = engine.openStream({ callId: 'c2', party: 'customer', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);
    writePackets(stream, concat(silence(300), say('refund supervisor')));
    await stream.end();
    await done;
    const last = results[results.length - 1]!;
    expect(last.final).toBe(true);
    expect(last.text).toBe('refund supervisor');
    expect(last.words[1]!.word).toBe('supervisor');
    expect(engine.activeStreams).toBe(0); // recognizer freed
    expect(stream.write(silence(20))).toBe(false); // ended: nothing more is taken
    await engine.close();
  });

  test('asr.partials=false gives finals only', async () => {
    const { engine } = await openEngine(model.dir, { partials: false });
    const stream = engine.openStream({ callId: 'c3', party: 'agent', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);
    writePackets(stream, concat(say('cancel account'), silence(1200), say('thanks')));
    await stream.end();
    await done;
    expect(partials(results)).toEqual([]);
    expect(finals(results).map((r) => r.text).filter(Boolean)).toEqual(['cancel account', 'thanks']);
    await engine.close();
  });

  test('partialIntervalMs spaces partials out in audio time', async () => {
    const count = async (partialIntervalMs: number) => {
      const { engine } = await openEngine(model.dir, { chunkMs: 100, partialIntervalMs });
      const stream = engine.openStream({ callId: 'c4', party: 'agent', sampleRate: MODEL_RATE });
      const { results, done } = record(stream);
      writePackets(stream, concat(say('one two three four five six seven'), silence(1200)));
      await stream.end();
      await done;
      await engine.close();
      return partials(results).length;
    };
    const everyChunk = await count(0);
    const sparse = await count(1500);
    expect(everyChunk).toBeGreaterThanOrEqual(7); // one new word at least every 550 ms
    expect(sparse).toBeLessThan(everyChunk);
    expect(sparse).toBeLessThanOrEqual(4); // 3.8 s of speech / 1.5 s
  });

  test('overload: new audio beyond maxQueueMs is dropped, counted, logged once, and later word times stay on the stream clock', async () => {
    const { engine, metrics, lines } = await openEngine(model.dir, { maxQueueMs: 1000, chunkMs: 100 });
    const stream = engine.openStream({ callId: 'c5', party: 'customer', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);

    // 1 s fills the queue (writes are synchronous: nothing has been decoded yet), the next 2 s are dropped.
    expect(writePackets(stream, silence(1000))).toBe(MODEL_RATE);
    expect(writePackets(stream, silence(2000))).toBe(0);
    expect(await metricValue(metrics.audioDroppedSeconds)).toBeCloseTo(2, 5);
    expect(await metricValue(metrics.asrQueueDepthSeconds)).toBeCloseTo(1, 5);
    const warnings = lines.filter((l) => l.msg.startsWith('asr queue full'));
    expect(warnings).toHaveLength(1); // once per episode, not once per packet
    expect(warnings[0]).toMatchObject({ level: 40, callId: 'c5', party: 'customer', maxQueueMs: 1000 });

    // Once the recognizer has caught up, audio is accepted again; it lies at 3.0 s on the stream clock.
    await waitUntil(async () => (await metricValue(metrics.asrQueueDepthSeconds)) === 0, 10_000, 'queue to drain');
    expect(writePackets(stream, concat(silence(500), say('verify'), silence(1200)))).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg.startsWith('asr queue has room again') && l.droppedMs === 2000)).toBe(true);
    await stream.end();
    await done;
    const verify = finals(results).flatMap((r) => r.words).find((w) => w.word === 'verify');
    expect(verify).toBeDefined();
    expect(Math.abs(verify!.startMs - 3500)).toBeLessThanOrEqual(100); // 1 s kept + 2 s dropped + 0.5 s
    await engine.close();
  });

  test('abort() mid-stream completes results$ without a final and frees the recognizer', async () => {
    const { engine, metrics } = await openEngine(model.dir);
    const stream = engine.openStream({ callId: 'c6', party: 'agent', sampleRate: MODEL_RATE });
    const { results, done } = record(stream);
    writePackets(stream, concat(say('hello hello hello hello'), silence(5000)));
    stream.abort();
    stream.abort(); // idempotent
    await done;
    await stream.end(); // resolves: nothing left to do
    await waitUntil(() => engine.activeStreams === 0, 5000, 'recognizer to be freed');
    expect(finals(results)).toEqual([]);
    expect(await metricValue(metrics.asrQueueDepthSeconds)).toBe(0);

    // Again with a libvosk call in flight: the recognizer is freed only once that call has returned.
    const busy = engine.openStream({ callId: 'c6b', party: 'agent', sampleRate: MODEL_RATE });
    const busyRecord = record(busy);
    writePackets(busy, concat(say('hello hello hello hello'), silence(5000)));
    await new Promise((r) => setImmediate(r));
    busy.abort();
    await busyRecord.done;
    await waitUntil(() => engine.activeStreams === 0, 5000, 'recognizer to be freed');
    expect(finals(busyRecord.results)).toEqual([]);
    await engine.close();
  });

  test('close() aborts open streams, waits for them, frees the model; later openStream throws', async () => {
    const { engine } = await openEngine(model.dir);
    const streams = [0, 1, 2].map((i) => engine.openStream({ callId: `c7-${i}`, party: 'agent', sampleRate: MODEL_RATE }));
    const recorded = streams.map(record);
    for (const s of streams) writePackets(s, concat(say('account refund'), silence(3000)));
    await engine.close();
    await Promise.all(recorded.map((r) => r.done));
    expect(engine.activeStreams).toBe(0);
    expect(() => engine.openStream({ callId: 'late', party: 'agent', sampleRate: MODEL_RATE })).toThrow(AsrError);
    await engine.close(); // idempotent
  });

  test('a stream at another rate than the model is refused (the audio layer resamples)', async () => {
    const { engine } = await openEngine(model.dir);
    expect(() => engine.openStream({ callId: 'c8', party: 'agent', sampleRate: 8000 })).toThrow(/8000 Hz does not match the model's 16000 Hz/);
    await engine.close();
  });
});
