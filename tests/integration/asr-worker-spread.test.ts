import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { startCustomerCall as startCall } from '../helpers/ws-client.js';

// Calls that start together are spread over the ASR workers by open recognizers, not by the
// momentary backlog: the first call's audio is queued before the others' arrives, and a backlog-first
// choice sent every later call to the other worker (one worker idle while the other had three).

describe('pinning calls to ASR workers', () => {
  const live = useLiveService('asr-worker-spread', { asr: { workers: 2, capacityProbeMs: 0, admissionBacklogMs: 3_600_000 }, limits: { maxConcurrentCalls: 10 } });

  it('spreads calls that start together evenly, even while the first one already has audio queued', async () => {
    const { service } = live.svc;
    const pool = service.asr.pool;
    const url = live.svc.wsUrl('/v1/stream');
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello verify refund thanks' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const audio = frames(call, 8000, 20);

    const first = await startCall(url, 'spread-0');
    // Far faster than real time: the first call's worker has seconds of audio waiting.
    await first.sendAudio(Array.from({ length: 8 }, () => audio).flat(), 100, 1);
    await expect.poll(() => Math.max(...pool.backlogSamples), { timeout: 10_000 }).toBeGreaterThan(0);
    const others = [];
    for (const id of ['spread-1', 'spread-2', 'spread-3']) others.push(await startCall(url, id));

    const workers = ['spread-0', 'spread-1', 'spread-2', 'spread-3'].map((id) => pool.workerOf(id));
    expect(workers.every((w) => w !== undefined)).toBe(true);
    const perWorker = new Map<unknown, number>();
    for (const w of workers) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
    expect([...perWorker.values()].sort()).toEqual([2, 2]);

    for (const client of [first, ...others]) client.send({ type: 'stop' });
    await Promise.all([first, ...others].map((client) => client.waitFor((m) => m.type === 'summary', 60_000)));
  }, 120_000);
});
