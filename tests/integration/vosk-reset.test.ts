import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCallAudio } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { findSummaryIds, waitForSummary } from '../helpers/redis-summary.js';

type Reply = Record<string, unknown> & { text?: string; result?: Array<{ start: number; end: number; word: string }> };

const RATE = 16000;

/**
 * vosk-server's `{"reset" : 1}` runs `rec.FinalResult()` and carries on: what was heard so far is
 * answered as a final result even in the middle of an utterance, and recognition starts afresh.
 */
describe('/v1/vosk reset ends the utterance in progress (real libvosk, real Redis)', () => {
  const live = useLiveService('vosk-reset', {});

  it('a reset right after the last word (no pause for endpointing) answers that utterance; later audio is a new one on the same clock', async () => {
    const first = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello supervisor' }], { parties: ['customer'], sampleRate: RATE, encoding: 'pcm16' });
    // Cut 20 ms after the last tone word ends: far too short a pause for the recognizer's own endpointing.
    const lastEndMs = first.words.at(-1)!.endMs;
    const heard = first.bytes.subarray(0, Math.round(((lastEndMs + 20) * RATE) / 1000) * 2);
    const second = buildCallAudio([{ party: 'customer', atMs: 300, text: 'cancel account' }], { parties: ['customer'], sampleRate: RATE, encoding: 'pcm16' });
    const chunk = 6400; // 0.2 s, as vosk-server's test.py
    const split = (b: Buffer) => Array.from({ length: Math.ceil(b.length / chunk) }, (_, i) => b.subarray(i * chunk, (i + 1) * chunk));
    const before = new Set(await findSummaryIds(live.redis, live.svc.prefix, 'vosk-'));

    const socket = new WebSocket(live.svc.wsUrl('/v1/vosk'));
    const got: Reply[] = [];
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      got.push(JSON.parse(data.toString()) as Reply);
      for (const wake of waiters.splice(0)) wake();
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const reply = async (n: number): Promise<void> => {
      while (got.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    // Lockstep, as vosk-server's clients: send one message, read its one reply.
    let sent = 0;
    const send = async (message: Buffer | string): Promise<void> => {
      socket.send(message);
      await reply(++sent);
    };
    socket.send(JSON.stringify({ config: { sample_rate: RATE } })); // config has no reply
    for (const c of split(heard)) await send(c);
    await send('{"reset" : 1}');
    const resetReply = got.at(-1)!;
    const resetAt = got.length - 1;
    for (const c of split(second.bytes)) await send(c);
    socket.send('{"eof" : 1}');
    expect(await closed).toBe(1000);

    // Nothing of the first utterance was final before the reset; the reset's answer is all of it.
    expect(got.slice(0, resetAt).filter((r) => r.text)).toEqual([]);
    expect(resetReply.text).toBe('hello supervisor');
    expect(resetReply.result?.map((w) => w.word)).toEqual(['hello', 'supervisor']);
    const after = got.slice(resetAt + 1).filter((r) => typeof r.text === 'string' && r.text);
    expect(after.map((r) => r.text).join(' ')).toBe('cancel account');
    // Recognition went on from the reset on the stream's clock: the new words come after the old ones.
    const lastOld = resetReply.result!.at(-1)!.end;
    const firstNew = after[0]!.result![0]!.start;
    expect(firstNew).toBeGreaterThan(lastOld);
    expect(firstNew).toBeGreaterThan(heard.length / 2 / RATE);

    // The call's transcript has both utterances, in order.
    let ids: string[] = [];
    for (let i = 0; i < 100 && ids.length === 0; i++) {
      ids = (await findSummaryIds(live.redis, live.svc.prefix, 'vosk-')).filter((id) => !before.has(id));
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    const summary = await waitForSummary(live.redis, live.svc.prefix, ids[0]!);
    expect(summary.transcript.map((u) => u.text)).toEqual(['hello supervisor', 'cancel account']);
  });

  it('a reset before any audio, and two resets in a row, are answered with an empty result and the stream goes on', async () => {
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'refund' }], { parties: ['customer'], sampleRate: RATE, encoding: 'pcm16' });
    const socket = new WebSocket(live.svc.wsUrl('/v1/vosk'));
    const got: Reply[] = [];
    socket.on('message', (data) => got.push(JSON.parse(data.toString()) as Reply));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.send(JSON.stringify({ config: { sample_rate: RATE } }));
    socket.send('{"reset" : 1}');
    socket.send(call.bytes);
    socket.send('{"reset" : 1}');
    socket.send('{"reset" : 1}');
    socket.send('{"eof" : 1}');
    expect(await closed).toBe(1000);
    // reset, audio, reset, reset, eof: one reply each, in order.
    expect(got).toHaveLength(5);
    expect(got[0]).toEqual({ text: '' });
    expect('partial' in got[1]! || 'text' in got[1]!).toBe(true);
    expect([got[1]!.text, got[2]!.text].filter(Boolean).join(' ')).toBe('refund');
    expect(got[3]).toEqual({ text: '' });
    expect(got[4]).toEqual({ text: '' });
  });
});
