import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { AcousticAnalysis, type AcousticEvent } from '../../analytics/acoustic.js';
import { CallAudioDecoder, type DecodedFrame } from '../../audio/call-audio-decoder.js';
import { Rechunker } from '../../audio/rechunker.js';
import { mulawEncode } from '../../audio/g711.js';
import { measuresOptionsSchema } from '../../analytics/measures-options.js';
import { createRecognizer, libvosk, type Handle } from '../libvosk.js';
import { ModelFitCheck } from '../model-fit.js';
import { Outbox } from './outbox.js';
import type { CallAudioInit, FromWorker, LentStream, StreamItem, ToWorker, WorkerInit } from './protocol.js';

/**
 * An ASR worker thread: owns the recognizers of the calls pinned to it and decodes their audio
 * with synchronous libvosk calls (no libuv pool, no per-call marshalling to the main thread).
 *
 * Scheduling: streams with queued audio take turns, one chunk each, for a slice of SLICE_MS; then
 * the results go back in one message and the thread yields to its event loop, so new audio, ends
 * and aborts are taken in while decoding goes on.
 *
 * It also does the per-call audio work of its calls, off the main thread: wire bytes are decoded
 * (G.711/PCM16), split per party and resampled to the model rate here (CallAudioDecoder), rechunked
 * into the parties' recognizer queues, checked against a test model (ModelFitCheck), and analysed
 * for the acoustic measures (analytics/acoustic.ts: frame features, raised tone, talk activity),
 * whose outputs go back as messages. Wire audio is taken in as soon as it arrives, ahead of decoding.
 */

/**
 * How long decoding goes on before the thread takes in new messages. Several chunks' results then
 * go back in one message (waking the main thread costs tens of µs per message, and a woken main
 * thread preempts a decoder on a busy machine); new audio and aborts wait this long at most, beside
 * a chunk's own decoding time. A slice ends early when no stream has audio queued, so this only
 * delays results while the worker is saturated, i.e. already behind real time. Bench, realistic
 * model, max pacing: 25 against 10 ms over 24 alternating rounds each, main-thread CPU per
 * call-second 2.43 against 2.58 ms and engine / bare 0.92 against 0.90 on average; 50 against 25 ms
 * over 12 rounds each, main-thread CPU per run 344 against 383 ms, its wake-ups 657 against 852,
 * decoder preemptions 1,305 against 1,507, engine / bare 0.94 against 0.93 on average.
 */
const SLICE_MS = 50;

/** A 'cut' in a stream's queue: it is taken in turn with the audio around it. */
const CUT = 'cut';

/** A recognizer this thread decodes (its own stream, or one lent by another worker). */
interface Stream {
  rec: Handle;
  queue: Array<Int16Array | typeof CUT>;
  ending: boolean;
  decodedSamples: number;
  lastPartialAt: number;
}

/**
 * The feeding side of a stream opened on this thread: its call's model-rate audio is cut into asr
 * chunks here (the remainder goes at 'cut'/'end'). `remote`: the stream was lent, and what it is
 * fed is forwarded to the worker that decodes it now, in order.
 */
interface Feed {
  rechunker: Rechunker;
  remote: boolean;
}

const init = workerData as WorkerInit;
const port = parentPort!;
const outbox = new Outbox<FromWorker>(port);
// On Linux a nice value belongs to a thread, and `0` names the calling one: only this decoder yields.
// Elsewhere it would be the whole process's, so it is left alone.
if (init.nice && process.platform === 'linux') setPriority(0, init.nice);
const lib = libvosk();
lib.setLogLevel(init.voskLogLevel);
post({ type: 'loaded' });
const streams = new Map<number, Stream>();
const feeds = new Map<number, Feed>();
const EMPTY = new Int16Array(0);

interface CallAudio {
  init: CallAudioInit;
  decoder: CallAudioDecoder;
  fits: Array<ModelFitCheck | undefined>;
  acoustic: AcousticAnalysis | undefined;
  /** Acoustic events not yet posted. */
  events: AcousticEvent[];
}
const calls = new Map<number, CallAudio>();
/** Streams with work, in turn order. */
const ready: number[] = [];
let scheduled = false;

function post(message: FromWorker): void {
  outbox.post(message);
}

port.on('message', (batch: ToWorker[]) => {
  for (const message of batch) receive(message);
});

function receive(message: ToWorker): void {
  switch (message.type) {
    case 'open': {
      const rec = createRecognizer(init.model, init.sampleRate, init.partialWords);
      if (rec === 0) {
        post({ type: 'failed', stream: message.stream, message: 'libvosk could not create a recognizer (out of memory, or a broken graph)' });
        return;
      }
      streams.set(message.stream, { rec, queue: [], ending: false, decodedSamples: 0, lastPartialAt: -Infinity });
      feeds.set(message.stream, { rechunker: new Rechunker(init.chunkSamples ?? Math.round(init.sampleRate / 10)), remote: false });
      return;
    }
    case 'audio':
      deliver(message.stream, [message.samples]);
      return;
    case 'cut': {
      // The call audio's rest shorter than a chunk belongs to the utterance being ended.
      const rest = feeds.get(message.stream)?.rechunker.flush();
      deliver(message.stream, rest ? [rest, CUT] : [CUT]);
      return;
    }
    case 'end': {
      const last = feeds.get(message.stream)?.rechunker.flush();
      deliver(message.stream, last ? [last, 'end'] : ['end']);
      feeds.delete(message.stream);
      return;
    }
    case 'abort':
      deliver(message.stream, ['abort']);
      feeds.delete(message.stream);
      return;
    case 'lend':
      post({ type: 'lent', stream: message.stream, state: lend(message.stream) });
      return;
    case 'adopt':
      streams.set(message.stream, message.state);
      if (message.state.queue.length > 0 || message.state.ending) wake(message.stream);
      return;
    case 'more':
      apply(message.stream, message.items);
      return;
    case 'probe':
      outbox.flush(); // it holds the thread for up to budgetMs
      post(probe(message.id, message.samples, message.budgetMs));
      return;
    case 'check': {
      // What every call needs first: a recognizer on the shared model. Freed at once.
      const rec = createRecognizer(init.model, init.sampleRate, false);
      if (rec !== 0) lib.recognizerFree(rec);
      post({ type: 'checked', id: message.id, ok: rec !== 0 });
      return;
    }
    case 'call':
      openCall(message.init);
      return;
    case 'wire':
      withCall(message.call, (call) => {
        const frames = message.party < 0 ? call.decoder.decodeInterleaved(message.bytes) : [call.decoder.decodeParty(call.init.parties[message.party]!, message.bytes)];
        for (const frame of frames) take(call, frame, message.feed[call.init.parties.indexOf(frame.party)] ?? false);
      });
      return;
    case 'skip':
      withCall(message.call, (call) => {
        const party = call.init.parties[message.party]!;
        const at = call.decoder.skip(party, message.samples);
        call.acoustic?.push({ party, samples: EMPTY, sampleRate: call.init.format.sampleRate, startSample: at + message.samples });
      });
      return;
    case 'callEnd':
      withCall(message.call, (call) => {
        for (const frame of call.decoder.flush()) feed(call, frame);
        call.acoustic?.end();
      });
      calls.delete(message.call);
      post({ type: 'callEnded', call: message.call });
      return;
  }
}

function openCall(callInit: CallAudioInit): void {
  const call: CallAudio = {
    init: callInit,
    decoder: new CallAudioDecoder(callInit.format, callInit.parties, init.sampleRate),
    fits: callInit.parties.map(() => ModelFitCheck.forModel(callInit.modelInfo, callInit.format.sampleRate)),
    acoustic: undefined,
    events: [],
  };
  if (callInit.acoustic) call.acoustic = new AcousticAnalysis(callInit.parties, callInit.acoustic, (event) => call.events.push(event));
  calls.set(callInit.call, call);
}

/** Runs one step of a call's audio work, then posts the acoustic outputs it produced; a failure ends the call's processing. */
function withCall(id: number, work: (call: CallAudio) => void): void {
  const call = calls.get(id);
  if (!call) return;
  try {
    work(call);
  } catch (err) {
    call.acoustic?.close();
    calls.delete(id);
    post({ type: 'callFailed', call: id, message: (err as Error).message });
  }
  if (call.events.length > 0) {
    post({ type: 'acoustic', call: id, events: call.events });
    call.events = [];
  }
}

/** One party's decoded audio: model-fit check, acoustic measures, and (unless its queue is full) its recognizer. */
function take(call: CallAudio, frame: DecodedFrame, toRecognizer: boolean): void {
  const index = call.init.parties.indexOf(frame.party);
  const fit = call.fits[index];
  const warning = fit?.push(frame.callRate);
  if (warning) {
    call.fits.fill(undefined); // one warning per call
    post({ type: 'warning', call: call.init.call, party: frame.party, warning });
  }
  call.acoustic?.push({ party: frame.party, samples: frame.callRate, sampleRate: call.init.format.sampleRate, startSample: frame.startSample });
  if (toRecognizer) feed(call, frame);
}

function feed(call: CallAudio, frame: DecodedFrame): void {
  if (frame.modelRate.length === 0) return;
  const id = call.init.streams[call.init.parties.indexOf(frame.party)];
  const feeding = id === undefined ? undefined : feeds.get(id);
  if (!feeding) return;
  const chunks = feeding.rechunker.push(frame.modelRate);
  if (chunks.length > 0) deliver(id!, chunks);
}

/** What a stream opened here is fed: queued for its recognizer, or forwarded to the worker it was lent to. */
function deliver(id: number, items: StreamItem[]): void {
  if (feeds.get(id)?.remote) post({ type: 'forward', stream: id, items });
  else apply(id, items);
}

/** Queues audio and cuts for a recognizer decoded here; 'end' lets it finish, 'abort' frees it at once. */
function apply(id: number, items: StreamItem[]): void {
  const stream = streams.get(id);
  if (!stream) return;
  for (const item of items) {
    if (item === 'abort') return free(id);
    if (stream.ending) continue;
    if (item === 'end') stream.ending = true;
    else stream.queue.push(item);
  }
  wake(id);
}

/** Takes a stream off this thread for another worker; undefined when it is already gone. */
function lend(id: number): LentStream | undefined {
  const stream = streams.get(id);
  if (!stream) return undefined;
  streams.delete(id);
  const turn = ready.indexOf(id);
  if (turn >= 0) ready.splice(turn, 1);
  const feeding = feeds.get(id);
  if (feeding) feeding.remote = true;
  return stream; // cloned into the message; this thread keeps no reference
}

function wake(id: number): void {
  if (!ready.includes(id)) ready.push(id);
  if (scheduled) return;
  scheduled = true;
  setImmediate(step);
}

/** Streams take turns, one chunk each, for up to SLICE_MS; then their results go out and the thread yields. */
function step(): void {
  scheduled = false;
  const sliceEnd = performance.now() + SLICE_MS;
  do {
    const id = ready.shift();
    if (id === undefined) break;
    turn(id);
  } while (performance.now() < sliceEnd);
  outbox.flush();
  if (ready.length > 0) {
    scheduled = true;
    setImmediate(step);
  }
}

/** Decodes one chunk of the stream (or takes its cut, or finishes it); back in line when it has more. */
function turn(id: number): void {
  const stream = streams.get(id);
  if (!stream) return;
  try {
    const chunk = stream.queue.shift();
    if (chunk === CUT) {
      // libvosk's final result ends the utterance; the next audio starts a new one, on the same clock.
      post({ type: 'cut', stream: id, json: lib.finalResult(stream.rec) ?? '{}' });
      if (stream.queue.length > 0 || stream.ending) ready.push(id);
    } else if (chunk) {
      decode(id, stream, chunk);
      if (stream.queue.length > 0 || stream.ending) ready.push(id);
    } else if (stream.ending) {
      post({ type: 'final', stream: id, json: lib.finalResult(stream.rec) ?? '{}' });
      free(id);
    }
  } catch (err) {
    post({ type: 'failed', stream: id, message: `recognizer failed: ${(err as Error).message}` });
    free(id);
  }
}

function decode(id: number, stream: Stream, chunk: Int16Array): void {
  const started = performance.now();
  const endpoint = lib.acceptWaveform(stream.rec, chunk, chunk.byteLength);
  if (endpoint < 0) throw new Error('libvosk rejected the audio chunk');
  stream.decodedSamples += chunk.length;
  const decodedMs = (stream.decodedSamples * 1000) / init.sampleRate;
  let json: string | undefined;
  let final: boolean | undefined;
  if (endpoint === 1) {
    json = lib.result(stream.rec) ?? '{}';
    final = true;
  } else if (init.partials && decodedMs - stream.lastPartialAt >= init.partialIntervalMs) {
    stream.lastPartialAt = decodedMs;
    json = lib.partialResult(stream.rec) ?? '{}';
    final = false;
  }
  post({ type: 'decoded', stream: id, samples: chunk.length, elapsedMs: performance.now() - started, json, final });
}

function free(id: number): void {
  const stream = streams.get(id);
  if (!stream) return;
  streams.delete(id);
  lib.recognizerFree(stream.rec);
  const discardedSamples = stream.queue.reduce((sum, chunk) => sum + (chunk === CUT ? 0 : chunk.length), 0);
  post({ type: 'freed', stream: id, discardedSamples });
}

/** Decodes the sample in 100 ms chunks until it ends or the budget is spent; decoding cost = elapsed / decoded. */
function probe(id: number, samples: Int16Array, budgetMs: number): FromWorker {
  const rec = createRecognizer(init.model, init.sampleRate, false);
  if (rec === 0) return { type: 'probed', id, decodedMs: 0, elapsedMs: 0, audioWorkMs: 0 };
  const chunk = Math.round(init.sampleRate / 10);
  const started = performance.now();
  let decoded = 0;
  try {
    for (let at = 0; at < samples.length && performance.now() - started < budgetMs; at += chunk) {
      const part = samples.subarray(at, Math.min(samples.length, at + chunk));
      if (lib.acceptWaveform(rec, part, part.byteLength) === 1) lib.result(rec);
      decoded += part.length;
    }
    lib.finalResult(rec);
  } finally {
    lib.recognizerFree(rec);
  }
  const elapsedMs = performance.now() - started;
  const audioWorkMs = probeAudioWork(samples.subarray(0, decoded));
  return { type: 'probed', id, decodedMs: (decoded * 1000) / init.sampleRate, elapsedMs, audioWorkMs };
}

/**
 * Time (ms) the per-call audio work this thread does beside decoding takes for one party of
 * `samples` (model rate): processed as a two-party 8 kHz mu-law call in 20 ms frames (telephony),
 * with the default acoustic measures, halved.
 */
function probeAudioWork(samples: Int16Array): number {
  const step = Math.max(1, Math.round(init.sampleRate / 8000));
  const mono = new Int16Array(Math.floor(samples.length / step));
  for (let i = 0; i < mono.length; i++) mono[i] = samples[i * step]!;
  const encoded = mulawEncode(mono);
  const wire = new Uint8Array(encoded.length * 2);
  for (let i = 0; i < encoded.length; i++) wire[2 * i] = wire[2 * i + 1] = encoded[i]!;
  const parties = ['a', 'b'];
  const started = performance.now();
  const decoder = new CallAudioDecoder({ encoding: 'mulaw', sampleRate: 8000, channels: 2 }, parties, init.sampleRate);
  const rechunkers = parties.map(() => new Rechunker(init.chunkSamples ?? Math.round(init.sampleRate / 10)));
  const acoustic = new AcousticAnalysis(parties, measuresOptionsSchema.parse({}), () => undefined);
  for (let at = 0; at < wire.length; at += 320) {
    decoder.decodeInterleaved(wire.subarray(at, Math.min(wire.length, at + 320))).forEach((f, i) => {
      acoustic.push({ party: f.party, samples: f.callRate, sampleRate: 8000, startSample: f.startSample });
      rechunkers[i]!.push(f.modelRate);
    });
  }
  acoustic.end();
  return (performance.now() - started) / parties.length;
}
