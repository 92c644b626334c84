import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../src/publish/keys.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { OwnRedis, freePort } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

/** Redis goes away during a call and comes back: the call is not held, and its writes are not lost. */
describe('a Redis outage during a call', () => {
  let own: OwnRedis;
  let svc: TestService;

  beforeAll(async () => {
    own = new OwnRedis(await freePort());
    await own.start();
    svc = await startTestService('redis-outage', { redis: { url: own.url, summaryWaitMs: 300 } });
  });
  afterAll(async () => {
    await svc?.close();
    await own?.stop();
  });

  it('the client gets its summary at once; the buffered writes land when Redis is back', async () => {
    const callId = 'outage-1';
    const call = buildCallAudio([{ party: 'customer', atMs: 200, text: 'cancel account' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    await own.stop();
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary', 5000);
    expect(summary).toMatchObject({ callId, endReason: 'stop' });
    expect(svc.service.engine.activeCalls).toBe(0);

    await new Promise((r) => setTimeout(r, 3000)); // an outage of several reconnect attempts
    await own.start(); // same port, empty: only what the engine buffered can appear
    const redis = new Redis(own.url);
    try {
      const keys = new RedisKeys(svc.prefix);
      const deadline = Date.now() + 10_000;
      let stored: string | null = null;
      while (!stored && Date.now() < deadline) {
        stored = await redis.get(keys.callSummary(callId));
        if (!stored) await new Promise((r) => setTimeout(r, 100));
      }
      expect(JSON.parse(stored!)).toEqual(summary);
      expect(await redis.hget(keys.call(callId), 'state')).toBe('ended');
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
