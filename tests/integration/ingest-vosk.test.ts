import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { ingestErrorSnapshot } from '../helpers/metrics.js';
import { findSummaryIds, waitForSummary } from '../helpers/redis-summary.js';

type Reply = { partial: string } | { text: string; result?: Array<{ conf: number; start: number; end: number; word: string }> };

/**
 * A vosk-server client as alphacep's websocket/test.py: config, then lockstep send-a-chunk /
 * read-one-reply, then `{"eof" : 1}` and read the final result until the server closes.
 */
class VoskClient {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly replies: Reply[] = [];
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on('message', (data) => {
      this.replies.push(JSON.parse(data.toString()) as Reply);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves when at least `count` replies arrived. */
  async replyCount(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.replies.length} of ${count} replies`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

describe('vosk-server protocol on /v1/vosk (real libvosk, real Redis)', () => {
  const live = useLiveService('ingest-vosk', { keywords: CALL_KEYWORDS, server: { startTimeoutMs: 2000 } });

  it('answers every audio message with one partial or result, then the final result on eof, times in seconds; the call is analyzed', async () => {
    const { svc, redis } = live;
    const call = buildCallAudio(
      [
        { party: 'customer', atMs: 300, text: 'hello supervisor' },
        { party: 'customer', atMs: 3000, text: 'cancel account' },
      ],
      { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' },
    );
    const chunks = frames(call, 16000, 250); // 8000 bytes, as test.py reads them
    const client = new VoskClient(svc.wsUrl('/v1/vosk'));
    await client.opened;
    client.socket.send(JSON.stringify({ config: { sample_rate: 16000, words: 1 } }));
    for (let i = 0; i < chunks.length; i++) {
      client.socket.send(chunks[i]!);
      await client.replyCount(i + 1);
      await new Promise((r) => setTimeout(r, 40)); // ~6x real time
    }
    client.socket.send('{"eof" : 1}');
    const closed = await client.closed;
    expect(closed.code).toBe(1000);

    expect(client.replies).toHaveLength(chunks.length + 1);
    for (const reply of client.replies.slice(0, -1)) expect('partial' in reply || 'text' in reply).toBe(true);
    const final = client.replies.at(-1)!;
    expect('text' in final).toBe(true);
    const results = client.replies.filter((r): r is Extract<Reply, { text: string }> => 'text' in r);
    expect(results.map((r) => r.text).filter(Boolean).join(' ')).toBe('hello supervisor cancel account');
    // Results arrived during the stream, not only at eof: the per-frame replies carry them.
    expect(results.slice(0, -1).some((r) => r.text !== '')).toBe(true);
    expect(client.replies.some((r) => 'partial' in r && r.partial !== '')).toBe(true);
    const words = results.flatMap((r) => r.result ?? []);
    expect(words.map((w) => w.word)).toEqual(['hello', 'supervisor', 'cancel', 'account']);
    const supervisor = words[1]!;
    const expected = call.words.find((w) => w.word === 'supervisor')!;
    expect(Math.abs(supervisor.start - expected.startMs / 1000)).toBeLessThanOrEqual(0.1); // seconds, as vosk
    expect(supervisor.conf).toBeGreaterThan(0);

    const ids = await findSummaryIds(redis, svc.prefix, 'vosk-');
    expect(ids).toHaveLength(1);
    const summary = await waitForSummary(redis, svc.prefix, ids[0]!);
    expect(summary).toMatchObject({ protocol: 'vosk', endReason: 'stop', parties: ['customer'] });
    expect(summary.alerts.map((a) => a.category).sort()).toEqual(['churn-risk', 'escalation']);
  });

  it('eof without audio gets an empty final result and no call', async () => {
    const client = new VoskClient(live.svc.wsUrl('/v1/vosk'));
    await client.opened;
    client.socket.send('{"eof" : 1}');
    expect((await client.closed).code).toBe(1000);
    expect(client.replies).toEqual([{ text: '' }]);
  });

  it('closes the socket on malformed input and counts it', async () => {
    const { svc } = live;
    const errors = await ingestErrorSnapshot(svc.httpUrl, 'vosk');
    const expectClosed = async (send: (c: VoskClient) => void, reason: string) => {
      const client = new VoskClient(svc.wsUrl('/v1/vosk'));
      await client.opened;
      send(client);
      const closed = await client.closed;
      expect(closed.code, reason).toBe(1008);
      expect(closed.reason, reason).toMatch(new RegExp(`^${reason}`));
    };
    await Promise.all([
      expectClosed((c) => c.socket.send('{"hello": 1}'), 'unknown_message'),
      expectClosed((c) => c.socket.send('not json'), 'bad_json'),
      expectClosed((c) => c.socket.send(JSON.stringify({ config: { sample_rate: 44100 } })), 'unsupported_sample_rate'),
      expectClosed((c) => c.socket.send(Buffer.alloc(801)), 'bad_frame_size'),
    ]);
    const delta = await errors.grownBy();
    for (const reason of ['unknown_message', 'bad_json', 'unsupported_sample_rate', 'bad_frame_size']) expect(delta(reason), reason).toBe(1);
  });
});
