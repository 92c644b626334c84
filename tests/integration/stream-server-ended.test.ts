import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

describe('a call the server ends (duration limit) while the client still streams', () => {
  const live = useLiveService('stream-server-ended', { limits: { maxCallDurationMs: 1000 } });

  it('delivers the summary (endReason timeout) instead of rejecting the audio still in flight', async () => {
    const call = buildCallAudio([{ party: 'customer', atMs: 200, text: 'hello verify' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'server-ended-1', encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    // Faster than real time, for longer than the 1 s limit: the recognizers still have audio queued
    // when the limit ends the call, and frames keep arriving while it is being finalized.
    const audio = frames(call, 8000, 20);
    const sending = client.sendAudio(Array.from({ length: 60 }, () => audio).flat(), 10, 5);
    const summary = await client.waitFor((m) => m.type === 'summary' || m.type === 'error', 10_000);
    await sending;
    const closed = await client.closed;
    expect(client.ofType('error')).toEqual([]);
    expect(summary).toMatchObject({ type: 'summary', endReason: 'timeout', cutShort: true });
    expect(closed.code).toBe(1000);
  });
});
