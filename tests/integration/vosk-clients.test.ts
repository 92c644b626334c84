import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeWav } from '../../src/audio/wav.js';
import { buildCallAudio, type GeneratedCall } from '../helpers/call-audio.js';
import { REPO } from '../helpers/cli.js';
import { useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { findSummaryIds, waitForSummary, type StoredSummary } from '../helpers/redis-summary.js';

const run = promisify(execFile);
/** Debian's python3 (scripts/setup.sh installs python3-websockets, python3-grpcio, python3-grpc-tools for it). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const CLIENTS = join(REPO, 'tests', 'vosk-clients');

/** A long mono call of tone words: long enough that a client running ahead of decoding would overflow the 2 s queue. */
function longCall(sampleRate: number): GeneratedCall {
  const phrases = ['hello supervisor', 'cancel account refund', 'one two three', 'verify balance thanks', 'four five six seven'];
  const script = Array.from({ length: 20 }, (_, i) => ({ party: 'customer', atMs: 500 + i * 2600, text: phrases[i % phrases.length]! }));
  return buildCallAudio(script, { parties: ['customer'], sampleRate, encoding: 'pcm16' });
}

function expectedText(call: GeneratedCall): string {
  return call.words.map((w) => w.word).join(' ');
}

/**
 * vosk-server's own example clients (tests/vosk-clients/, same behaviour as alphacep's), run
 * unchanged against the engine: with a 2 s recognizer queue and a 52 s file, a client that ran ahead
 * of decoding would lose most of the audio. Each must exit 0 with every word and 0 ms dropped.
 */
describe('vosk-server clients against the engine (real python clients, real libvosk, real Redis)', () => {
  const live = useLiveService('vosk-clients', { asr: { maxQueueMs: 2000 } });
  let dir: string;
  const wavs: Record<number, { path: string; call: GeneratedCall }> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'voc-vosk-clients-'));
    for (const rate of [8000, 16000]) {
      const call = longCall(rate);
      const path = join(dir, `call-${rate}.wav`);
      writeFileSync(path, encodeWav(call.bytes, { encoding: 'pcm16', sampleRate: rate, channels: 1 }));
      wavs[rate] = { path, call };
    }
    // The gRPC client imports stubs generated from the proto, as vosk-server's Makefile makes them.
    await run(PYTHON, ['-c', 'import os, sys, grpc_tools; from grpc_tools import protoc; sys.exit(protoc.main(["protoc", "-I" + sys.argv[1], "-I" + os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"), "--python_out=" + sys.argv[2], "--grpc_python_out=" + sys.argv[2], sys.argv[3]]))', join(REPO, 'protos/vosk/stt/v1'), dir, join(REPO, 'protos/vosk/stt/v1/stt_service.proto')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a client to completion; returns its stdout and the summary of the call it made. */
  async function runClient(args: string[], env: Record<string, string>): Promise<{ stdout: string; summary: StoredSummary }> {
    const before = new Set(await findSummaryIds(live.redis, live.svc.prefix, 'vosk-'));
    const { stdout } = await run(PYTHON, args, { env: { ...process.env, ...env, PYTHONPATH: dir }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    let ids: string[] = [];
    for (let i = 0; i < 100 && ids.length === 0; i++) {
      ids = (await findSummaryIds(live.redis, live.svc.prefix, 'vosk-')).filter((id) => !before.has(id));
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ids).toHaveLength(1);
    return { stdout, summary: await waitForSummary(live.redis, live.svc.prefix, ids[0]!) };
  }

  function expectNothingDropped(summary: StoredSummary, call: GeneratedCall): void {
    const audio = (summary.audio as Record<string, { receivedMs: number; droppedMs: number }>).customer!;
    expect(audio.droppedMs).toBe(0);
    expect(Math.abs(audio.receivedMs - call.durationMs)).toBeLessThan(100);
    expect(summary.transcript.map((u) => u.text).join(' ')).toBe(expectedText(call));
  }

  /** voc_asr_dropped_audio_seconds_total of the engine. */
  async function droppedSeconds(): Promise<number> {
    const match = /^voc_asr_dropped_audio_seconds_total (\S+)$/m.exec(await fetchMetrics(live.svc.httpUrl));
    if (!match) throw new Error('voc_asr_dropped_audio_seconds_total not exported');
    return Number(match[1]);
  }

  /** The JSON replies a websocket client printed, one a line. */
  function replies(stdout: string): Array<Record<string, unknown>> {
    return stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('websocket/test.py (8 kHz, 0.2 s chunks in lockstep): one reply per chunk, every word, 0 ms dropped', async () => {
    const { path, call } = wavs[8000]!;
    const { stdout, summary } = await runClient([join(CLIENTS, 'ws_test.py'), path], { VOSK_URL: live.svc.wsUrl('/v1/vosk') });
    const got = replies(stdout);
    expect(got).toHaveLength(Math.ceil(call.durationMs / 200) + 1);
    // The replies carry every final utterance, in order; the last is the eof answer.
    expect(got.filter((r) => typeof r.text === 'string').map((r) => r.text).filter(Boolean).join(' ')).toBe(expectedText(call));
    expectNothingDropped(summary, call);
  });

  it('websocket/test_words.py (16 kHz, phrase list, words 0): every word without word timings, 0 ms dropped', async () => {
    const { path, call } = wavs[16000]!;
    const { stdout, summary } = await runClient([join(CLIENTS, 'ws_test_words.py'), path], { VOSK_URL: live.svc.wsUrl('/v1/vosk') });
    const got = replies(stdout);
    expect(got).toHaveLength(Math.ceil(call.bytes.length / 8000) + 1);
    const results = got.filter((r) => typeof r.text === 'string');
    expect(results.every((r) => r.result === undefined)).toBe(true);
    expect(results.map((r) => r.text).filter(Boolean).join(' ')).toBe(expectedText(call));
    expectNothingDropped(summary, call);
  });

  it('websocket/test_alternatives.py (max_alternatives 20): n-best results, 0 ms dropped', async () => {
    const { path, call } = wavs[16000]!;
    const { stdout, summary } = await runClient([join(CLIENTS, 'ws_test_alternatives.py'), path], { VOSK_URL: live.svc.wsUrl('/v1/vosk') });
    const got = replies(stdout);
    const nbest = got.filter((r) => Array.isArray(r.alternatives)) as Array<{ alternatives: Array<{ text: string; confidence: number }> }>;
    expect(nbest.map((r) => r.alternatives[0]!.text).filter(Boolean).join(' ')).toBe(expectedText(call));
    expectNothingDropped(summary, call);
  });

  it('grpc/stt_client.py (the whole file as fast as gRPC takes it): exit 0, every word, 0 ms dropped', async () => {
    const { path, call } = wavs[8000]!;
    const dropsBefore = await droppedSeconds();
    const { stdout, summary } = await runClient([join(CLIENTS, 'grpc_stt_client.py'), '--path', path], {
      VOSK_GRPC_ADDRESS: `127.0.0.1:${live.svc.service.grpcPort}`,
    });
    // What the client printed: per response, its first alternative's text and whether it is final.
    const responses = stdout.split('Start chunk: ').slice(1);
    const finals = responses
      .filter((block) => /Is final:\s+True/.test(block))
      .map((block) => /alternative:\s+(.*)/.exec(block)?.[1]?.trim() ?? '')
      .filter(Boolean);
    expect(responses.length).toBeGreaterThan(finals.length);
    expect(finals.join(' ')).toBe(expectedText(call));
    // The client reads the WAV header as audio too (as vosk-server's does): 44 bytes more.
    const audio = (summary.audio as Record<string, { receivedMs: number; droppedMs: number }>).customer!;
    expect(audio.droppedMs).toBe(0);
    expect(summary.transcript.map((u) => u.text).join(' ')).toBe(expectedText(call));
    expect(await droppedSeconds()).toBe(dropsBefore);
  });

  /** A raw WebSocket vosk client; resolves with every reply once the server closes. */
  function rawClient(send: (socket: WebSocket, replies: Array<Record<string, unknown>>) => void): Promise<Array<Record<string, unknown>>> {
    const socket = new WebSocket(live.svc.wsUrl('/v1/vosk'));
    const got: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => got.push(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.once('open', () => send(socket, got));
    return new Promise((resolve, reject) => {
      socket.once('close', () => resolve(got));
      socket.once('error', reject);
    });
  }

  it('a client that sends the whole file, then eof, without reading (client-samples/node) is paused by backpressure and loses nothing', async () => {
    const { call } = wavs[16000]!;
    const before = new Set(await findSummaryIds(live.redis, live.svc.prefix, 'vosk-'));
    const dropsBefore = await droppedSeconds();
    const got = await rawClient((socket) => {
      socket.send(JSON.stringify({ config: { sample_rate: 16000 } }));
      for (let i = 0; i < call.bytes.length; i += 8000) socket.send(call.bytes.subarray(i, i + 8000));
      socket.send('{"eof" : 1}');
    });
    expect(got).toHaveLength(Math.ceil(call.bytes.length / 8000) + 1);
    expect(got.filter((r) => typeof r.text === 'string').map((r) => r.text).filter(Boolean).join(' ')).toBe(expectedText(call));
    const [id] = (await findSummaryIds(live.redis, live.svc.prefix, 'vosk-')).filter((i) => !before.has(i));
    expectNothingDropped(await waitForSummary(live.redis, live.svc.prefix, id!), call);
    expect(await droppedSeconds()).toBe(dropsBefore);
  });

  it('{"reset": 1} is answered with a result after the audio before it, and the stream carries on (as vosk-server)', async () => {
    const first = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello supervisor' }], { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' });
    const second = buildCallAudio([{ party: 'customer', atMs: 300, text: 'cancel account' }], { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' });
    let resetAt = -1;
    const got = await rawClient((socket, replies) => {
      socket.send(JSON.stringify({ config: { sample_rate: 16000 } }));
      const chunks = (b: Buffer) => Array.from({ length: Math.ceil(b.length / 6400) }, (_, i) => b.subarray(i * 6400, (i + 1) * 6400));
      const one = chunks(first.bytes);
      const two = chunks(second.bytes);
      for (const c of one) socket.send(c);
      socket.send('{"reset" : 1}');
      resetAt = one.length;
      // Carry on once the reset is answered.
      const wait = setInterval(() => {
        if (replies.length <= resetAt) return;
        clearInterval(wait);
        for (const c of two) socket.send(c);
        socket.send('{"eof" : 1}');
      }, 10);
    });
    expect(got).toHaveLength(resetAt + 1 + Math.ceil(second.bytes.length / 6400) + 1);
    const texts = (from: number, to: number) => got.slice(from, to).filter((r) => typeof r.text === 'string').map((r) => r.text).filter(Boolean).join(' ');
    // Everything said before the reset is final by its answer; the rest comes after it.
    expect(got[resetAt]).toHaveProperty('text');
    expect(texts(0, resetAt + 1)).toBe('hello supervisor');
    expect(texts(resetAt + 1, got.length)).toBe('cancel account');
  });
});
