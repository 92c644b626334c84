import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useLiveService } from '../helpers/live-service.js';
import { waitForSummary } from '../helpers/redis-summary.js';
import { RecordingClient } from '../helpers/ws-client.js';

const PARTIES = ['customer', 'agent'];

/** Utterance-like messages: mostly well-formed, with every field sometimes wrong in type, range or size. */
const utterance = fc.record(
  {
    type: fc.constantFrom('utterance', 'utterance', 'utterance', 'stop', 'start', 'nope'),
    party: fc.oneof(fc.constantFrom(...PARTIES), fc.string({ maxLength: 80 }), fc.integer()),
    text: fc.oneof(fc.string({ maxLength: 200, unit: 'grapheme' }), fc.string({ maxLength: 20, unit: 'binary' }), fc.constant('x'.repeat(12_000)), fc.constant(null)),
    startMs: fc.oneof(fc.integer({ min: -1000, max: 20_000 }), fc.double(), fc.constant(1e308)),
    endMs: fc.oneof(fc.integer({ min: -1000, max: 20_000 }), fc.double()),
    final: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
    words: fc.array(
      fc.record({ word: fc.string({ maxLength: 12 }), startMs: fc.integer({ min: -10, max: 20_000 }), endMs: fc.integer({ min: -10, max: 20_000 }), conf: fc.double() }),
      { maxLength: 6 },
    ),
    durationMs: fc.double(),
  },
  { requiredKeys: ['type'] },
);

/** One frame: a message as JSON, truncated JSON, or raw bytes sent as a text or binary frame. */
const frame = fc.oneof(
  { weight: 6, arbitrary: utterance.map((m) => ({ text: JSON.stringify(m) })) },
  { weight: 1, arbitrary: utterance.chain((m) => fc.nat(40).map((n) => ({ text: JSON.stringify(m).slice(0, n) }))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), binary: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), binary: true })) },
);

describe('fuzzed text input over /v1/stream', () => {
  const live = useLiveService('text-fuzz');

  it('never crashes the service: every call ends with a summary, and a good call still works afterwards', async () => {
    const { svc, redis } = live;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const callId = `fuzz-${n++}`;
        const client = new RecordingClient(svc.wsUrl('/v1/stream'));
        await client.opened;
        client.send({ type: 'start', callId, input: 'text', parties: PARTIES });
        await client.waitFor((m) => m.type === 'started');
        for (const f of frames) {
          if ('text' in f) client.socket.send(f.text);
          else client.socket.send(f.bytes, { binary: f.binary });
        }
        client.send({ type: 'stop' });
        await client.closed;
        // Whatever happened (error or normal stop), the call was finalized and its summary written.
        const summary = await waitForSummary(redis, svc.prefix, callId);
        expect(['stop', 'error']).toContain(summary.endReason);
      }),
      { seed: 1207, numRuns: 60 },
    );

    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'fuzz-after', input: 'text', parties: PARTIES });
    client.send({ type: 'utterance', party: 'agent', text: 'hello there', startMs: 0, endMs: 800 });
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary');
    expect(summary).toMatchObject({ endReason: 'stop', transcript: [{ party: 'agent', text: 'hello there' }] });
    expect(svc.service.engine.activeCalls).toBe(0);
  }, 120_000);
});
