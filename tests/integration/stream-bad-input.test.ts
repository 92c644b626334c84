import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { ESCALATION, useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { RecordingClient } from '../helpers/ws-client.js';

const start = (callId: string, extra: Record<string, unknown> = {}) => ({
  type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], language: 'en', ...extra,
});

describe('garbage from one client never disturbs another call', () => {
  const live = useLiveService('bad-input', { keywords: [ESCALATION], server: { maxMessageBytes: 64 * 1024, startTimeoutMs: 2000 } });

  async function expectRejected(label: string, act: (c: RecordingClient) => Promise<void> | void, code: string): Promise<void> {
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    await act(client);
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.code, label).toBe(code);
    expect(typeof error.message).toBe('string');
    const closed = await client.closed;
    expect(closed.code, label).not.toBe(1000);
  }

  it('rejects each kind of garbage with a reason code and closes only that socket', async () => {
    const { svc, redis, keys } = live;
    const callId = 'good-call';
    const call = buildCallAudio(
      [
        { party: 'customer', atMs: 500, text: 'hello supervisor' },
        { party: 'agent', atMs: 3000, text: 'thanks' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const good = new RecordingClient(svc.wsUrl('/v1/stream'));
    await good.opened;
    good.send(start(callId));
    await good.waitFor((m) => m.type === 'started');
    const goodAudio = frames(call, 8000, 20);
    const half = Math.floor(goodAudio.length / 2);
    const firstHalf = good.sendAudio(goodAudio.slice(0, half));

    await Promise.all([
      expectRejected('bad json', (c) => c.send('{"type": "start", '), 'bad_json'),
      expectRejected('audio before start', (c) => c.send(Buffer.alloc(320)), 'audio_before_start'),
      expectRejected('unknown encoding', (c) => c.send(start('bad-enc', { encoding: 'opus' })), 'unsupported_encoding'),
      expectRejected('unknown type', (c) => c.send({ type: 'dance' }), 'unknown_message'),
      expectRejected('unsupported rate', (c) => c.send(start('bad-rate', { sampleRate: 12345 })), 'unsupported_sample_rate'),
      expectRejected('channels vs parties', (c) => c.send(start('bad-parties', { parties: ['customer'] })), 'bad_start'),
      expectRejected(
        'odd frame size',
        async (c) => {
          c.send(start('bad-frames', { encoding: 'pcm16' }));
          await c.waitFor((m) => m.type === 'started');
          c.send(Buffer.alloc(321)); // not a whole number of 2-channel 16-bit frames
        },
        'bad_frame_size',
      ),
      expectRejected('no start in time', () => undefined, 'timeout'),
    ]);

    // An oversize frame is refused by the WebSocket layer (close 1009).
    const big = new RecordingClient(svc.wsUrl('/v1/stream'));
    await big.opened;
    big.send(Buffer.alloc(200 * 1024));
    expect((await big.closed).code).toBe(1009);

    await firstHalf;
    await good.sendAudio(goodAudio.slice(half));
    good.send({ type: 'stop' });
    const summary = await good.waitFor((m) => m.type === 'summary');
    expect(summary).toMatchObject({ callId, endReason: 'stop', alertCount: 1 });
    const finals = good.ofType('transcript').filter((t) => t.final).map((t) => `${t.party}:${t.text}`);
    expect(finals).toEqual(expect.arrayContaining(['customer:hello supervisor', 'agent:thanks']));
    expect(good.ofType('error')).toHaveLength(0);

    // The odd-frame call was opened, then ended as an error with its summary still written.
    await new Promise((r) => setTimeout(r, 300));
    expect(await redis.hget(keys.call('bad-frames'), 'endReason')).toBe('error');

    const metrics = await fetchMetrics(svc.httpUrl);
    for (const reason of ['bad_json', 'audio_before_start', 'unsupported_encoding', 'bad_frame_size', 'timeout'])
      expect(metrics).toMatch(new RegExp(`voc_ingest_errors_total\\{protocol="stream",reason="${reason}"\\} 1`));
  });
});
