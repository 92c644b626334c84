/**
 * Bare libvosk for the bench's reference scenario: one thread decoding its share of the parties'
 * model-rate audio through the same binding, as fast as it can (recognizers only: accept, result at
 * each endpoint, final result). Chunks of 100 ms, streams in turn, like an engine worker. Reports
 * its progress (samples decoded, on the shared clock performance.timeOrigin + now()) after each turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRecognizer, libvosk } from '../src/asr/libvosk.js';

interface BareJob {
  model: number;
  sampleRate: number;
  parties: Int16Array[];
}

const job = workerData as BareJob;
const lib = libvosk();
const chunk = Math.round(job.sampleRate / 10);
// Ready once this thread runs and the binding is loaded; decoding starts on 'go', the parent's
// timed window: starting a thread is not decoding, and the engine's threads start before its window.
parentPort!.once('message', () => {
  const streams = job.parties.map((audio) => ({ audio, at: 0, rec: createRecognizer(job.model, job.sampleRate, false) }));
  const started = performance.now();
  let active = streams.length;
  let finals = 0;
  let decoded = 0;
  const progress: Array<[number, number]> = [];
  while (active > 0) {
    active = 0;
    for (const s of streams) {
      if (s.at >= s.audio.length) continue;
      const part = s.audio.subarray(s.at, Math.min(s.audio.length, s.at + chunk));
      s.at += part.length;
      decoded += part.length;
      if (lib.acceptWaveform(s.rec, part, part.byteLength) === 1 && JSON.parse(lib.result(s.rec) ?? '{}').text) finals++;
      if (s.at >= s.audio.length) {
        if (JSON.parse(lib.finalResult(s.rec) ?? '{}').text) finals++;
        lib.recognizerFree(s.rec);
      } else active++;
    }
    progress.push([performance.timeOrigin + performance.now(), decoded]);
  }
  parentPort!.postMessage({ elapsedMs: performance.now() - started, finals, progress });
});
parentPort!.postMessage('ready');
