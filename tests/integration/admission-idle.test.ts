import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { waitForSummary } from '../helpers/redis-summary.js';
import { RecordingClient } from '../helpers/ws-client.js';

const KEY_A = 'tenant-a-key-0001';
const KEY_B = 'tenant-b-key-0002';
/** Another loopback address (all of 127/8 reaches this host): the attacker's. */
const ATTACKER = '127.0.0.2';

const start = (callId: string) => ({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });

function client(url: string, key: string, localAddress?: string): RecordingClient {
  return new RecordingClient(url, new WebSocket(url, { headers: { 'x-api-key': key }, ...(localAddress ? { localAddress } : {}) }));
}

/** The first answer to a start: 'started', or the error code. */
async function answer(c: RecordingClient): Promise<string> {
  const m = await c.waitFor((x) => x.type === 'started' || x.type === 'error');
  return m.type === 'started' ? 'started' : String(m.code);
}

describe('admission protects real calls: idle calls time out, per-address and per-key limits', () => {
  const live = useLiveService('admission-idle', {
    auth: { apiKeys: [KEY_A, KEY_B] },
    limits: { maxConcurrentCalls: 60, maxCallsPerIp: 20, maxCallsPerKey: 40 },
    server: { startTimeoutMs: 5000, idleTimeoutMs: 1500 },
  });

  it('200 idle starts from one address do not lock out a real call, and each idle call ends as timeout with a summary', async () => {
    const url = live.svc.wsUrl('/v1/stream');
    const idle = Array.from({ length: 200 }, () => client(url, KEY_A, ATTACKER));
    await Promise.all(idle.map((c) => c.opened));
    idle.forEach((c, i) => c.send(start(`idle-${i}`)));
    const answers = await Promise.all(idle.map(answer));
    expect(answers.filter((a) => a === 'started')).toHaveLength(20);
    expect(answers.filter((a) => a === 'capacity')).toHaveLength(180);

    // The real call, from another address and tenant, is admitted while the idle ones hold their slots.
    const real = client(url, KEY_B);
    await real.opened;
    real.send(start('real-call'));
    expect(await answer(real)).toBe('started');
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'cancel account' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    await real.sendAudio(frames(call, 8000, 20));
    real.send({ type: 'stop' });
    expect(await real.waitFor((m) => m.type === 'summary')).toMatchObject({ callId: 'real-call', endReason: 'stop' });

    // The idle calls sent no audio within startTimeoutMs: ended as 'timeout', summaries written, slots free.
    const admitted = idle.filter((_, i) => answers[i] === 'started');
    const summaries = await Promise.all(admitted.map((c) => c.waitFor((m) => m.type === 'summary')));
    expect(new Set(summaries.map((s) => s.endReason))).toEqual(new Set(['timeout']));
    expect(await waitForSummary(live.redis, live.svc.prefix, String(summaries[0]!.callId))).toMatchObject({ endReason: 'timeout', cutShort: true });
    expect(live.svc.service.engine.activeCalls).toBe(0);
    for (const c of idle) c.socket.close();
  });

  it('a call that stalls longer than idleTimeoutMs ends as timeout', async () => {
    const url = live.svc.wsUrl('/v1/stream');
    const stalled = client(url, KEY_A);
    await stalled.opened;
    stalled.send(start('stalled-call'));
    expect(await answer(stalled)).toBe('started');
    stalled.socket.send(Buffer.alloc(1600, 0xff)); // 200 ms of audio, then nothing
    expect(await stalled.waitFor((m) => m.type === 'summary')).toMatchObject({ callId: 'stalled-call', endReason: 'timeout' });
  });
});

describe('per-key limit', () => {
  const live = useLiveService('admission-per-key', { auth: { apiKeys: [KEY_A, KEY_B] }, limits: { maxCallsPerKey: 5 } });

  it('a tenant at maxCallsPerKey is refused, another tenant is not', async () => {
    const url = live.svc.wsUrl('/v1/stream');
    const tenantA = Array.from({ length: 6 }, () => client(url, KEY_A));
    await Promise.all(tenantA.map((c) => c.opened));
    const answersA: string[] = [];
    for (const [i, c] of tenantA.entries()) {
      c.send(start(`tenant-a-${i}`));
      answersA.push(await answer(c));
    }
    expect(answersA).toEqual(['started', 'started', 'started', 'started', 'started', 'capacity']);
    const error = tenantA[5]!.messages.find((m) => m.type === 'error');
    expect(String(error?.message)).toMatch(/limits\.maxCallsPerKey/);
    const tenantB = client(url, KEY_B);
    await tenantB.opened;
    tenantB.send(start('tenant-b-0'));
    expect(await answer(tenantB)).toBe('started');
    for (const c of [...tenantA, tenantB]) c.socket.close();
  });
});
