import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onlyAlert } from '../helpers/alerts.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { ingestErrorSnapshot } from '../helpers/metrics.js';
import { waitForSummary } from '../helpers/redis-summary.js';

/** A mod_audio_fork / jambonz `listen` client: subprotocol, one metadata text frame, binary L16 frames, then it closes. */
class ForkClient {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly texts: Array<Record<string, unknown>> = [];

  constructor(url: string, subprotocol: string) {
    this.socket = new WebSocket(url, subprotocol);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on('message', (data, isBinary) => {
      if (!isBinary) this.texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
    });
  }

  async stream(chunks: readonly Buffer[]): Promise<void> {
    for (let i = 0; i < chunks.length; i++) {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      this.socket.send(chunks[i]!);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 3));
    }
  }
}

describe('mod_audio_fork / jambonz listen on /v1/fork (real libvosk, real Redis)', () => {
  const live = useLiveService('ingest-fork', { keywords: CALL_KEYWORDS, server: { startTimeoutMs: 2000 } });

  it('jambonz listen, stereo 16 kHz: metadata frame, two parties, alert and summary', async () => {
    const { svc, redis } = live;
    const callSid = randomUUID();
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded' },
        { party: 'customer', atMs: 3000, text: 'cancel account refund' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 16000, encoding: 'pcm16' },
    );
    const client = new ForkClient(svc.wsUrl('/v1/fork'), 'audio.jambonz.org');
    await client.opened;
    expect(client.socket.protocol).toBe('audio.jambonz.org');
    client.socket.send(
      JSON.stringify({
        callSid,
        direction: 'inbound',
        from: '+15083084809',
        to: '+15083728299',
        callId: 'd8907723-0bc7-123b-09b5-12e962f3039b',
        accountSid: randomUUID(),
        applicationSid: randomUUID(),
        sampleRate: 16000,
        mixType: 'stereo',
        queue: 'retention',
      }),
    );
    await client.stream(frames(call, 16000, 20));
    client.socket.send(JSON.stringify({ event: 'dtmf', dtmf: '5', duration: '160' })); // application data, not interpreted
    client.socket.close(1000);
    await client.closed;

    const summary = await waitForSummary(redis, svc.prefix, callSid);
    expect(summary).toMatchObject({ callId: callSid, protocol: 'fork', endReason: 'stop', parties: ['customer', 'agent'] });
    expect(summary.metadata).toMatchObject({ mixType: 'stereo', sampleRate: 16000, queue: 'retention', subprotocol: 'audio.jambonz.org' });
    const finals = summary.transcript.map((t) => `${t.party}:${t.text}`);
    expect(finals).toEqual(expect.arrayContaining(['agent:hello recorded', 'customer:cancel account refund']));
    const churn = onlyAlert(summary.alerts, 'churn-risk');
    const cancel = call.words.find((w) => w.word === 'cancel')!;
    expect(Math.abs((churn.startMs as number) - cancel.startMs)).toBeLessThanOrEqual(100);
    expect(client.texts).toEqual([]); // nothing is sent back on a healthy stream
  });

  it('mod_audio_fork, mono 8 kHz from the URL query, free-text metadata', async () => {
    const { svc, redis } = live;
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello supervisor' }], { parties: ['customer'], sampleRate: 8000, encoding: 'pcm16' });
    const uuid = randomUUID();
    const client = new ForkClient(svc.wsUrl('/v1/fork?mixType=mono&sampleRate=8k'), 'audio.drachtio.org');
    await client.opened;
    expect(client.socket.protocol).toBe('audio.drachtio.org');
    client.socket.send(JSON.stringify({ uuid, to: '6173333456', from: '2061236666' }));
    await client.stream(frames(call, 8000, 20));
    client.socket.close(1000);
    const summary = await waitForSummary(redis, svc.prefix, uuid);
    expect(summary).toMatchObject({ endReason: 'stop', parties: ['customer'], metadata: { mixType: 'mono', sampleRate: 8000 } });
    expect(summary.transcript.map((t) => t.text)).toEqual(['hello supervisor']);
    expect(summary.alerts.map((a) => a.category)).toEqual(['escalation']);
  });

  it('reports bad input as a mod_audio_fork error message, closes that socket and counts it', async () => {
    const { svc, redis } = live;
    const errors = await ingestErrorSnapshot(svc.httpUrl, 'fork');

    const expectError = async (url: string, send: (c: ForkClient) => void, code: string) => {
      const client = new ForkClient(svc.wsUrl(url), 'audio.drachtio.org');
      await client.opened;
      send(client);
      const closed = await client.closed;
      expect(closed.code, code).toBe(1008);
      expect(client.texts[0], code).toMatchObject({ type: 'error', data: { code } });
    };
    const oddId = randomUUID();
    await Promise.all([
      expectError('/v1/fork', (c) => c.socket.send(JSON.stringify({ callSid: randomUUID(), sampleRate: 12345, mixType: 'mono' })), 'unsupported_sample_rate'),
      expectError('/v1/fork?mixType=quad', (c) => c.socket.send(Buffer.alloc(320)), 'bad_start'),
      expectError(
        '/v1/fork',
        (c) => {
          c.socket.send(JSON.stringify({ callSid: oddId, sampleRate: 8000, mixType: 'stereo' }));
          c.socket.send(Buffer.alloc(322)); // not whole 2-channel 16-bit frames
        },
        'bad_frame_size',
      ),
    ]);
    expect(await waitForSummary(redis, svc.prefix, oddId)).toMatchObject({ endReason: 'error' });

    const delta = await errors.grownBy();
    expect(delta('unsupported_sample_rate')).toBe(1);
    expect(delta('bad_start')).toBe(1);
    expect(delta('bad_frame_size')).toBe(1);
  });
});
