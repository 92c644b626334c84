import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { tinyModelDir } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// Admission from the measured decoding cost: the tiny model padded to cost what a real small model
// costs, with one worker and the smallest headroom, so the start-up probe admits very few calls.

function costlyModel(): string {
  const dir = tinyModelDir();
  rmSync(dir, { recursive: true, force: true });
  generateTinyModel(dir, { costLayers: { count: 6, width: 1536 } });
  return dir;
}

async function start(url: string, callId: string): Promise<RecordingClient> {
  const client = new RecordingClient(url);
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
  await client.waitFor((m) => m.type === 'started' || m.type === 'error');
  return client;
}

const call = buildCallAudio(
  [
    { party: 'customer', atMs: 300, text: 'hello verify' },
    { party: 'customer', atMs: 2500, text: 'refund thanks' },
  ],
  { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' },
);

describe('capacity-aware admission', () => {
  const model = costlyModel();
  const live = useLiveService('admission-capacity', {
    model: { path: model, autoDownload: false },
    asr: { workers: 1, capacityHeadroom: 0.1, capacityProbeMs: 2000 },
  });

  it('measures capacity at start, reports it, refuses calls beyond it, and admitted calls drop nothing', async () => {
    const { service } = live.svc;
    const capacity = service.engine.capacity;
    expect(capacity).toBe(service.asr.capacityCalls);
    expect((await service.metrics.capacityCalls.get()).values[0]?.value).toBe(capacity);
    const ready = (await (await fetch(`${live.svc.httpUrl}/readyz`)).json()) as { capacity: { calls: number; active: number } };
    expect(ready.capacity).toEqual({ calls: capacity, active: 0 });

    // Fill the measured capacity, then one more.
    const url = live.svc.wsUrl('/v1/stream');
    const admitted = await Promise.all(Array.from({ length: capacity }, (_, i) => start(url, `admitted-${i}`)));
    for (const client of admitted) expect(client.ofType('started')).toHaveLength(1);
    const refused = await start(url, 'one-too-many');
    expect(refused.ofType('error')[0]).toMatchObject({ code: 'capacity' });
    expect((await refused.closed).code).toBe(1013);

    // The admitted calls, streamed in real time, lose no audio.
    const audio = frames(call, 8000, 20);
    await Promise.all(admitted.map((client) => client.sendAudio(audio, 1, 20)));
    for (const client of admitted) client.send({ type: 'stop' });
    const summaries = await Promise.all(admitted.map((client) => client.waitFor((m) => m.type === 'summary')));
    for (const summary of summaries) expect((summary as unknown as { audio: Record<string, { droppedMs: number }> }).audio.customer?.droppedMs).toBe(0);
  }, 180_000);

});

describe('admission while the recognizers are behind', () => {
  const model = costlyModel();
  const live = useLiveService('admission-backlog', {
    model: { path: model, autoDownload: false },
    asr: { workers: 1, capacityProbeMs: 0, admissionBacklogMs: 500 },
    limits: { maxConcurrentCalls: 10 },
  });

  it('refuses a new call while the worker is behind real time, and admits again once it caught up', async () => {
    const { service } = live.svc;
    const url = live.svc.wsUrl('/v1/stream');
    // Far faster than real time: seconds of audio waiting for the one worker.
    const burst = await start(url, 'burst');
    const audio = frames(call, 8000, 20);
    await burst.sendAudio(Array.from({ length: 4 }, () => audio).flat(), 50, 1);
    expect(service.asr.admissionBacklogMs).toBeGreaterThan(live.svc.config.asr.admissionBacklogMs);
    const refused = await start(url, 'while-behind');
    expect(refused.ofType('error')[0]).toMatchObject({ code: 'capacity' });
    expect(JSON.stringify(refused.ofType('error')[0])).toContain('behind real time');

    burst.send({ type: 'stop' });
    await burst.waitFor((m) => m.type === 'summary', 60_000);
    const later = await start(url, 'after-catch-up');
    expect(later.ofType('started')).toHaveLength(1);
    later.send({ type: 'stop' });
    await later.waitFor((m) => m.type === 'summary');
  }, 180_000);
});
