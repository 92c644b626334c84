import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { OwnRedis, freePort } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

/** A Redis that keeps its socket open and stops answering (stopped process, full disk, swapped out). */
describe('Redis hangs without closing the connection', () => {
  let own: OwnRedis;
  let svc: TestService;
  let pid = 0;

  beforeAll(async () => {
    own = new OwnRedis(await freePort());
    await own.start();
    const probe = new Redis(own.url);
    pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    probe.disconnect();
    svc = await startTestService('redis-hung', { redis: { url: own.url, commandTimeoutMs: 1000 } });
  });
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await svc?.close();
    await own?.stop();
  });

  it('a call still ends and the client gets its summary; the engine does not keep the call', async () => {
    process.kill(pid, 'SIGSTOP');
    const call = buildCallAudio([{ party: 'customer', atMs: 200, text: 'hello verify' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'hung-1', encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary', 8000);
    expect(summary).toMatchObject({ callId: 'hung-1', endReason: 'stop' });
    expect(svc.service.engine.activeCalls).toBe(0);
  }, 180_000);
});
