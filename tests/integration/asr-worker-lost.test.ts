import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { startCustomerCall as startCall } from '../helpers/ws-client.js';

// A real ASR worker thread terminated mid-call (what a libvosk crash in that thread amounts to).

/** The words of a summary's transcript. */
const spoken = (summary: unknown): string => (summary as { transcript: Array<{ text: string }> }).transcript.map((t) => t.text).join(' ');

describe('an ASR worker that dies', () => {
  const live = useLiveService('asr-worker-lost', { asr: { workers: 2 } });

  it('ends only its calls, each with a summary; the worker is replaced and the service stays ready', async () => {
    const { service } = live.svc;
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'hello verify' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const audio = frames(call, 8000, 20);
    const doomed = await startCall(live.svc.wsUrl('/v1/stream'), 'worker-lost-a');
    const survivor = await startCall(live.svc.wsUrl('/v1/stream'), 'worker-lost-b');
    const doomedWorker = service.asr.pool.workerOf('worker-lost-a');
    expect(doomedWorker).toBeDefined();
    expect(service.asr.pool.workerOf('worker-lost-b')).not.toBe(doomedWorker); // calls spread over the workers

    await Promise.all([doomed.sendAudio(audio.slice(0, 10)), survivor.sendAudio(audio.slice(0, 10))]);
    await doomedWorker!.terminate();

    const lost = await doomed.waitFor((m) => m.type === 'summary');
    expect(lost).toMatchObject({ type: 'summary', callId: 'worker-lost-a', endReason: 'error', cutShort: true });

    // The other call goes on to the end and is transcribed.
    await survivor.sendAudio(audio.slice(10));
    survivor.send({ type: 'stop' });
    const kept = await survivor.waitFor((m) => m.type === 'summary');
    expect(kept).toMatchObject({ callId: 'worker-lost-b', endReason: 'stop' });
    expect(spoken(kept)).toContain('hello verify');

    expect((await fetch(`${live.svc.httpUrl}/readyz`)).status).toBe(200);
    expect(service.asr.pool.size).toBe(2);
    const restarts = (await service.metrics.asrWorkerRestarts.get()).values[0]?.value;
    expect(restarts).toBe(1);

    // New calls land on a full pool, the replacement included.
    const next = await startCall(live.svc.wsUrl('/v1/stream'), 'worker-lost-c');
    await next.sendAudio(audio);
    next.send({ type: 'stop' });
    const summary = await next.waitFor((m) => m.type === 'summary');
    expect(summary).toMatchObject({ callId: 'worker-lost-c', endReason: 'stop' });
    expect(spoken(summary)).toContain('hello verify');
    // Every call's audio processing is closed on the workers once it ended (or its worker died).
    expect(service.asr.pool.openCalls).toBe(0);
  });
});
