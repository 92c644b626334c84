import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onlyAlert } from '../helpers/alerts.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { fetchMetrics, ingestErrorSnapshot } from '../helpers/metrics.js';
import { counterValue, waitForSummary } from '../helpers/redis-summary.js';

const API_KEY = 'audiohook-test-key-0001';
const ORG_ID = 'd7934305-0972-4844-938e-9060eef73d05';
const NULL_UUID = '00000000-0000-0000-0000-000000000000';

interface ServerMessage {
  version: string;
  id: string;
  type: string;
  seq: number;
  clientseq: number;
  parameters: Record<string, unknown>;
}

/**
 * An AudioHook client as Genesys Cloud behaves (protocol v2, reference implementation's client):
 * headers on the upgrade, `open` first, seq +1 per message, serverseq = last server seq seen,
 * position = audio streamed so far (including paused/discarded time), close transaction at the end.
 */
class AudioHookClient {
  readonly socket: WebSocket;
  readonly sessionId = randomUUID();
  readonly messages: ServerMessage[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number }>;
  /** HTTP status when the upgrade is refused. */
  readonly refused: Promise<number>;
  private seq = 0;
  private serverseq = 0;
  positionMs = 0;
  private waiters: Array<() => void> = [];

  constructor(url: string, apiKey = API_KEY) {
    this.socket = new WebSocket(url, {
      headers: {
        'Audiohook-Organization-Id': ORG_ID,
        'Audiohook-Correlation-Id': randomUUID(),
        'Audiohook-Session-Id': this.sessionId,
        'X-API-KEY': apiKey,
      },
    });
    this.refused = new Promise((resolve) =>
      this.socket.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      }),
    );
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve({ code })));
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as ServerMessage;
      this.serverseq = message.seq;
      this.messages.push(message);
      if (message.type === 'closed') this.socket.close(); // after `closed` the client closes (no status code, like the reference client)
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(type: string, parameters: Record<string, unknown>): number {
    const seq = ++this.seq;
    this.socket.send(JSON.stringify({ version: '2', id: this.sessionId, type, seq, serverseq: this.serverseq, position: `PT${this.positionMs / 1000}S`, parameters }));
    return seq;
  }

  open(conversationId: string = randomUUID()): number {
    return this.send('open', {
      organizationId: ORG_ID,
      conversationId,
      participant: { id: randomUUID(), ani: '+13175550000', aniName: 'Jane Doe', dnis: '+18005550199' },
      media: [
        { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['internal'], rate: 8000 },
      ],
      language: 'en-US',
      customConfig: { team: 'billing' },
    });
  }

  /** Sends audio frames (positions advance by their duration), a few per burst like a live stream. */
  async audio(chunks: readonly Buffer[], msPerChunk: number): Promise<void> {
    for (let i = 0; i < chunks.length; i++) {
      this.socket.send(chunks[i]!);
      this.positionMs += msPerChunk;
      if (i % 5 === 4) await new Promise((r) => setTimeout(r, 3));
    }
  }

  async waitFor(type: string, timeoutMs = 10_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${this.messages.map((m) => m.type).join(',')}`);
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

describe('Genesys AudioHook on /v1/audiohook (real libvosk, real Redis)', () => {
  const live = useLiveService('ingest-audiohook', { auth: { apiKeys: [API_KEY] }, keywords: CALL_KEYWORDS, server: { startTimeoutMs: 2000 } });

  it('opens with stereo PCMU, answers ping, keeps the timeline across pause/resume, closes, and publishes the call', async () => {
    const { svc, redis, keys } = live;
    const conversationId = randomUUID();
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
        { party: 'agent', atMs: 7000, text: 'verify' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const chunks = frames(call, 8000, 100); // 100 ms of stereo PCMU per binary frame
    const client = new AudioHookClient(svc.wsUrl('/v1/audiohook'));
    await client.opened;

    const openSeq = client.open(conversationId);
    const opened = await client.waitFor('opened', 5000); // the client gives the server 5 s
    expect(opened).toMatchObject({ version: '2', id: client.sessionId, seq: 1, clientseq: openSeq });
    expect(opened.parameters.media).toEqual([{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }]);

    const pingSeq = client.send('ping', {});
    const pong = await client.waitFor('pong');
    expect(pong).toMatchObject({ seq: 2, clientseq: pingSeq, parameters: {} });
    client.send('ping', { rtt: 'PT0.012S' });

    // Audio until 5 s, then a 1 s pause (silence on both sides) whose audio is never sent.
    await client.audio(chunks.slice(0, 50), 100);
    client.send('paused', {});
    const pauseStart = client.positionMs;
    client.positionMs += 1000;
    client.send('resumed', { start: `PT${pauseStart / 1000}S`, discarded: 'PT1S' });
    await client.audio(chunks.slice(60), 100);

    client.send('close', { reason: 'end' });
    const closed = await client.waitFor('closed');
    expect(closed.clientseq).toBe(6); // open, ping, ping, paused, resumed, close
    expect([1000, 1005]).toContain((await client.closed).code);

    const summary = await waitForSummary(redis, svc.prefix, conversationId);
    expect(summary).toMatchObject({ callId: conversationId, protocol: 'audiohook', endReason: 'stop', parties: ['customer', 'agent'], language: 'en-US' });
    expect(summary.metadata.audiohook).toMatchObject({
      organizationId: ORG_ID,
      conversationId,
      sessionId: client.sessionId,
      participant: { ani: '+13175550000', dnis: '+18005550199' },
      customConfig: { team: 'billing' },
      rttMs: 12,
      discardedMs: { filled: 1000, unfilled: 0 },
    });
    const finals = summary.transcript.map((t) => `${t.party}:${t.text}`);
    expect(finals).toEqual(expect.arrayContaining(['agent:hello recorded', 'customer:cancel account refund', 'agent:verify']));
    // After the pause, the agent's word is still at its conversation time.
    const verify = summary.transcript.flatMap((t) => t.words).find((w) => w.word === 'verify')!;
    expect(Math.abs(verify.startMs - 7000)).toBeLessThanOrEqual(100);
    expect(onlyAlert(summary.alerts, 'churn-risk')).toMatchObject({ party: 'customer', phrase: 'cancel account' });
    expect((await redis.smembers(keys.callTags(conversationId))).sort()).toEqual(['churn', 'churn-risk']);
  });

  it('answers a connection probe (null conversation id) without opening a call', async () => {
    const { svc, redis, keys } = live;
    const metricsBefore = await fetchMetrics(svc.httpUrl);
    const client = new AudioHookClient(svc.wsUrl('/v1/audiohook'));
    await client.opened;
    client.open(NULL_UUID);
    const opened = await client.waitFor('opened');
    expect((opened.parameters.media as unknown[]).length).toBe(1);
    client.send('close', { reason: 'end' });
    await client.waitFor('closed');
    expect([1000, 1005]).toContain((await client.closed).code);
    await new Promise((r) => setTimeout(r, 200));
    expect(await redis.exists(keys.call(NULL_UUID))).toBe(0);
    const metrics = await fetchMetrics(svc.httpUrl);
    const calls = (t: string) => counterValue(t, 'voc_calls_total', { protocol: 'audiohook', end_reason: 'stop' });
    expect(calls(metrics)).toBe(calls(metricsBefore));
  });

  it('refuses a wrong or missing API key with HTTP 401 on the upgrade', async () => {
    const errors = await ingestErrorSnapshot(live.svc.httpUrl, 'audiohook');
    for (const key of ['not-the-key-at-all', '']) {
      const client = new AudioHookClient(live.svc.wsUrl('/v1/audiohook'), key);
      client.opened.catch(() => undefined);
      expect(await client.refused).toBe(401);
    }
    expect((await errors.grownBy())('unauthenticated')).toBe(2);
  });

  it('signals faults with disconnect (reason error), finishes the close transaction and counts them', async () => {
    const { svc, redis } = live;
    const errors = await ingestErrorSnapshot(svc.httpUrl, 'audiohook');

    // A sequence jump in an open session: the call ends as 'error'.
    const conversationId = randomUUID();
    const skipper = new AudioHookClient(svc.wsUrl('/v1/audiohook'));
    await skipper.opened;
    skipper.open(conversationId);
    await skipper.waitFor('opened');
    skipper.send('ping', {});
    (skipper as unknown as { seq: number }).seq += 3; // three messages "lost"
    skipper.send('ping', {});
    const disconnect = await skipper.waitFor('disconnect');
    expect(disconnect.parameters).toMatchObject({ reason: 'error' });
    expect(String(disconnect.parameters.info)).toMatch(/seq/);
    // The reference client answers a disconnect with its close transaction (its seq just goes on).
    skipper.send('close', { reason: 'disconnect' });
    await skipper.waitFor('closed');
    expect([1000, 1005]).toContain((await skipper.closed).code);
    expect(await waitForSummary(redis, svc.prefix, conversationId)).toMatchObject({ endReason: 'error' });

    // Not JSON before open; then audio before open.
    const garbled = new AudioHookClient(svc.wsUrl('/v1/audiohook'));
    await garbled.opened;
    garbled.socket.send('{"version": "2", ');
    expect((await garbled.waitFor('disconnect')).parameters).toMatchObject({ reason: 'error' });
    garbled.socket.close();

    const early = new AudioHookClient(svc.wsUrl('/v1/audiohook'));
    await early.opened;
    early.socket.send(Buffer.alloc(1600, 0xff));
    expect((await early.waitFor('disconnect')).parameters).toMatchObject({ reason: 'error' });
    early.socket.close();

    const delta = await errors.grownBy();
    expect(delta('bad_sequence')).toBe(1);
    expect(delta('bad_json')).toBe(1);
    expect(delta('audio_before_start')).toBe(1);
  });
});
