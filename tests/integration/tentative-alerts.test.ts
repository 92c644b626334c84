import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CHURN_RISK, useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

describe('tentative alerts from partials (asr.partialWords on)', () => {
  const live = useLiveService('tentative', { asr: { partialWords: true }, keywords: [CHURN_RISK] });

  it('raises the alert from a partial before the utterance ends, and the final does not raise it again', async () => {
    const { svc, redis, keys } = live;
    const callId = 'tentative-1';
    const call = buildCallAudio([{ party: 'customer', atMs: 500, text: 'cancel account refund thanks balance anything hello' }], {
      parties: ['customer'],
      sampleRate: 8000,
      encoding: 'mulaw',
    });
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    await client.waitFor((m) => m.type === 'summary');

    const order = client.messages.map((m) => (m.type === 'transcript' ? (m.final ? 'final' : 'partial') : m.type));
    const alertAt = order.indexOf('alert');
    expect(alertAt).toBeGreaterThan(0);
    expect(order.indexOf('final')).toBeGreaterThan(alertAt); // raised while the utterance was still open
    const alerts = client.ofType('alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ tentative: true, phrase: 'cancel account', party: 'customer' });
    expect(Math.abs((alerts[0]!.startMs as number) - 500)).toBeLessThanOrEqual(100);
    expect(client.ofType('alert_withdrawn')).toEqual([]);
    expect(await redis.xlen(keys.callAlerts(callId))).toBe(1);
    expect((await redis.smembers(keys.callTags(callId))).sort()).toEqual(['churn', 'churn-risk']);
  });
});
