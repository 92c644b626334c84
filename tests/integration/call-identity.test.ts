import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { RecordingClient, type ServerMessage } from '../helpers/ws-client.js';

const START = { type: 'start', encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] };

/** Runs one call on /v1/stream: `text` spoken by the customer (or nothing), then stop. */
async function runCall(wsUrl: string, callId: string, text?: string): Promise<{ client: RecordingClient; summary: ServerMessage }> {
  const client = new RecordingClient(wsUrl);
  await client.opened;
  client.send({ ...START, callId });
  await client.waitFor((m) => m.type === 'started' || m.type === 'error');
  if (text) {
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    await client.sendAudio(frames(call, 8000, 20));
  }
  client.send({ type: 'stop' });
  return { client, summary: await client.waitFor((m) => m.type === 'summary' || m.type === 'error', 30_000) };
}

describe('call identity: a callId in use is never overwritten, and never revealed', () => {
  const live = useLiveService('call-identity', { keywords: CALL_KEYWORDS });

  it('a re-used ended callId gets a new record; the earlier call is kept whole', async () => {
    const { svc, redis, keys } = live;
    const callId = 'identity-ended';
    const first = await runCall(svc.wsUrl('/v1/stream'), callId, 'cancel account');
    expect(first.summary).toMatchObject({ type: 'summary', alertCount: 1 });
    // A stranger re-uses the id with an empty call.
    const second = await runCall(svc.wsUrl('/v1/stream'), callId);
    expect(second.summary).toMatchObject({ type: 'summary', callId, alertCount: 0 });

    // The callId's keys hold the latest call; the first is kept under its record, with its alerts.
    const records = await redis.zrange(keys.callRecords(callId), '0', '-1');
    expect(records).toHaveLength(2);
    const [earlier, latest] = records as [string, string];
    expect(await redis.hget(keys.call(callId), 'record')).toBe(latest);
    expect(JSON.parse((await redis.get(keys.callSummary(callId)))!)).toMatchObject({ alertCount: 0 });
    const kept = keys.record(callId, earlier);
    expect(await redis.hgetall(kept)).toMatchObject({ state: 'ended', record: earlier, alertCount: '1' });
    const keptSummary = JSON.parse((await redis.get(`${kept}:summary`))!) as CallSummary;
    expect(keptSummary.alerts.map((a) => a.category)).toEqual(['churn-risk']);
    expect(keptSummary.transcript.map((t) => t.text)).toEqual(['cancel account']);
    expect(await redis.xlen(`${kept}:alerts`)).toBe(1);
    expect(await redis.pttl(kept)).toBeGreaterThan(0); // its retention is kept, not reset
  });

  it('a start with a live callId looks like any other start, and cannot touch the live call', async () => {
    const { svc, redis, keys } = live;
    const callId = 'identity-live';
    const owner = new RecordingClient(svc.wsUrl('/v1/stream'));
    await owner.opened;
    owner.send({ ...START, callId });
    await owner.waitFor((m) => m.type === 'started');

    // A stranger probing for live ids gets exactly what an unused id gets: started, then a summary.
    const probe = await runCall(svc.wsUrl('/v1/stream'), callId);
    const unused = await runCall(svc.wsUrl('/v1/stream'), 'identity-never-used');
    expect(probe.client.messages.map((m) => m.type)).toEqual(unused.client.messages.map((m) => m.type));
    expect(probe.client.messages.map((m) => m.type)).not.toContain('error');

    // The live call goes on and keeps the callId's keys; the stranger's call has its own record.
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'cancel account' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    await owner.sendAudio(frames(call, 8000, 20));
    owner.send({ type: 'stop' });
    expect(await owner.waitFor((m) => m.type === 'summary', 30_000)).toMatchObject({ callId, alertCount: 1 });
    expect(await redis.hgetall(keys.call(callId))).toMatchObject({ state: 'ended', alertCount: '1' });
    expect(JSON.parse((await redis.get(keys.callSummary(callId)))!)).toMatchObject({ alertCount: 1 });
    const records = await redis.zrange(keys.callRecords(callId), '0', '-1');
    expect(records).toHaveLength(2);
    const ownerRecord = await redis.hget(keys.call(callId), 'record');
    const strangerRecord = records.find((r) => r !== ownerRecord)!;
    expect(await redis.hgetall(keys.record(callId, strangerRecord))).toMatchObject({ state: 'ended', alertCount: '0' });
  });
});
