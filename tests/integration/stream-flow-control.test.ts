import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// A model that decodes ~40x real time, a 500 ms queue, and a client sending 30 s of audio at once:
// without flow control most of it is dropped; with it, the server reads only as fast as it decodes.
const modelDir = mkdtempSync(join(tmpdir(), 'voc-flow-model-'));
generateTinyModel(modelDir, { costLayers: { count: 4, width: 1024 } });

describe('/v1/stream flow control (start.flowControl)', () => {
  const live = useLiveService('stream-flow', { model: { path: modelDir }, asr: { maxQueueMs: 500 } });
  afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

  const script = Array.from({ length: 10 }, (_, i) => ({ party: 'customer', atMs: 500 + i * 2800, text: 'cancel account refund' }));
  const call = buildCallAudio(script, { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });

  async function blast(callId: string, flowControl: boolean): Promise<{ summary: CallSummary; started: Record<string, unknown> }> {
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'], flowControl });
    const started = await client.waitFor((m) => m.type === 'started');
    for (const frame of frames(call, 8000, 100)) client.socket.send(frame); // as fast as the socket takes it
    client.send({ type: 'stop' });
    const summary = (await client.waitFor((m) => m.type === 'summary', 60_000)) as unknown as CallSummary;
    return { summary, started };
  }

  it('without it, audio beyond the queue is dropped and counted', async () => {
    const { summary } = await blast('flow-off', false);
    expect(summary.audio.customer!.droppedMs).toBeGreaterThan(5000);
  });

  it('with it, the server pushes back: nothing is dropped and every utterance is transcribed', async () => {
    const { summary, started } = await blast('flow-on', true);
    expect(started.flowControl).toBe(true);
    expect(summary.audio.customer).toEqual({ receivedMs: call.durationMs, droppedMs: 0 });
    expect(summary.transcript.filter((t) => t.text === 'cancel account refund')).toHaveLength(10);
  });
});
