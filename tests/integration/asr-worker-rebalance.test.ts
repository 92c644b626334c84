import { describe, expect, it } from 'vitest';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// Rebalancing: a stereo call's two recognizers start on one worker (a call is pinned to one) while
// the other worker is idle. Audio sent far faster than real time queues up there; the pool lends one
// recognizer to the idle worker, which decodes it on (the call's audio processing stays and
// forwards). Each party's transcript must come out whole and in order, as without lending.

const REPEATS = 6;
const CUSTOMER = 'hello verify refund';
const AGENT = 'thanks account balance';

interface Line {
  party?: string;
  text: string;
}

/** Sends the first half at once (a backlog builds up), waits for `between`, then the rest and stop. */
async function runCall(url: string, callId: string, audio: Buffer[], between: () => Promise<void>): Promise<Line[]> {
  const client = new RecordingClient(url);
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
  await client.waitFor((m) => m.type === 'started');
  const half = Math.floor(audio.length / 2);
  await client.sendAudio(audio.slice(0, half), half, 0);
  await between();
  // The rest reaches the call's worker, which forwards the lent party's share, then its end.
  await client.sendAudio(audio.slice(half), audio.length, 0);
  client.send({ type: 'stop' });
  const summary = await client.waitFor((m) => m.type === 'summary', 120_000);
  client.socket.close();
  return (summary as unknown as { transcript: Line[] }).transcript;
}

const wordsOf = (lines: Line[], party: string): string => lines.filter((l) => l.party === party).map((l) => l.text).join(' ');

type Live = ReturnType<typeof useLiveService>;

describe('rebalancing recognizers between ASR workers', () => {
  const asr = { workers: 2, capacityProbeMs: 0, admissionBacklogMs: 3_600_000 };
  const call = buildCallAudio(
    Array.from({ length: REPEATS }, (_, i) => [
      { party: 'customer', atMs: 300 + i * 6000, text: CUSTOMER },
      { party: 'agent', atMs: 3300 + i * 6000, text: AGENT },
    ]).flat(),
    { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
  );
  const audio = frames(call, 8000, 20);
  const expected = (text: string) => Array.from({ length: REPEATS }, () => text).join(' ');

  /** A call with a backlog on its worker: nothing is lent, and both parties are transcribed whole. */
  async function expectNoLend(live: Live, callId: string): Promise<void> {
    const { service } = live.svc;
    const backlogged = () => expect.poll(() => Math.max(...service.asr.pool.backlogSamples), { timeout: 60_000, interval: 5 }).toBeGreaterThan(0);
    const transcript = await runCall(live.svc.wsUrl('/v1/stream'), callId, audio, backlogged);
    expect(service.asr.pool.streamsLent).toBe(0);
    expect(wordsOf(transcript, 'customer')).toBe(expected(CUSTOMER));
    expect(wordsOf(transcript, 'agent')).toBe(expected(AGENT));
  }

  describe('with a small gap', () => {
    const live = useLiveService('asr-rebalance-on', { asr: { ...asr, rebalanceGapMs: 20 } });

    it('lends a queued recognizer to the idle worker, and both parties are transcribed whole and in order', async () => {
      const { service } = live.svc;
      const lentMidCall = () => expect.poll(() => service.asr.pool.streamsLent, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(1);
      const transcript = await runCall(live.svc.wsUrl('/v1/stream'), 'rebalance-on', audio, lentMidCall);
      const lent = (await service.metrics.asrStreamsLent.get()).values[0]?.value;
      expect(lent).toBe(service.asr.pool.streamsLent);
      expect(wordsOf(transcript, 'customer')).toBe(expected(CUSTOMER));
      expect(wordsOf(transcript, 'agent')).toBe(expected(AGENT));
      expect(service.asr.pool.openCalls).toBe(0);
      expect(service.asr.pool.openStreams).toBe(0);
      expect(service.asr.pool.backlogSamples).toEqual([0, 0]);
    }, 180_000);

    it('loses nothing when a lent stream is lent on again while its call forwards audio (three calls at once)', async () => {
      const { service } = live.svc;
      const pool = service.asr.pool;
      const before = pool.streamsLent;
      // Streams pile up on both workers and move back and forth; each call keeps sending while they do.
      const transcripts = await Promise.all(
        ['a', 'b', 'c'].map((id) => runCall(live.svc.wsUrl('/v1/stream'), `rebalance-many-${id}`, audio, () => new Promise((r) => setTimeout(r, 50)))),
      );
      expect(pool.streamsLent - before).toBeGreaterThanOrEqual(1);
      for (const transcript of transcripts) {
        expect(wordsOf(transcript, 'customer')).toBe(expected(CUSTOMER));
        expect(wordsOf(transcript, 'agent')).toBe(expected(AGENT));
      }
      expect(pool.openStreams).toBe(0);
      expect(pool.backlogSamples).toEqual([0, 0]);
    }, 240_000);

    it("ends the call with a summary when the call's own worker dies after lending, and frees the lent recognizer", async () => {
      const { service } = live.svc;
      const pool = service.asr.pool;
      const before = pool.streamsLent;
      const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
      await client.opened;
      client.send({ type: 'start', callId: 'rebalance-lost', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
      await client.waitFor((m) => m.type === 'started');
      await client.sendAudio(audio, audio.length, 0);
      await expect.poll(() => pool.streamsLent, { timeout: 60_000, interval: 5 }).toBeGreaterThan(before);
      await pool.workerOf('rebalance-lost')!.terminate();
      const summary = await client.waitFor((m) => m.type === 'summary', 60_000);
      expect(summary).toMatchObject({ callId: 'rebalance-lost', endReason: 'error' });
      await expect.poll(() => pool.openStreams, { timeout: 30_000 }).toBe(0);
      expect(pool.backlogSamples).toEqual([0, 0]);
      expect(pool.openCalls).toBe(0);
    }, 180_000);
  });

  describe('switched off', () => {
    const live = useLiveService('asr-rebalance-off', { asr: { ...asr, rebalanceGapMs: 0 } });

    it('keeps both recognizers on the call worker, with the same transcript', () => expectNoLend(live, 'rebalance-off'), 180_000);
  });

  // The tail rule: a live gap too large to be met, a small gap for a worker whose streams have all
  // ended (here the second worker, which holds none): the call's backlog is lent to it.
  describe('with only the tail gap small', () => {
    const live = useLiveService('asr-rebalance-tail', { asr: { ...asr, rebalanceGapMs: 600_000, rebalanceTailGapMs: 20 } });

    it('lends to a worker that is out of work for good, and the transcript is whole', async () => {
      const { service } = live.svc;
      const lent = () => expect.poll(() => service.asr.pool.streamsLent, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(1);
      const transcript = await runCall(live.svc.wsUrl('/v1/stream'), 'rebalance-tail', audio, lent);
      expect(wordsOf(transcript, 'customer')).toBe(expected(CUSTOMER));
      expect(wordsOf(transcript, 'agent')).toBe(expected(AGENT));
      expect(service.asr.pool.backlogSamples).toEqual([0, 0]);
    }, 180_000);
  });

  describe('with the tail gap off', () => {
    const live = useLiveService('asr-rebalance-tail-off', { asr: { ...asr, rebalanceGapMs: 600_000, rebalanceTailGapMs: 0 } });

    it('lends nothing below the live gap, though the other worker is idle', () => expectNoLend(live, 'rebalance-tail-off'), 180_000);
  });
});
