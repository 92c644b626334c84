import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentimentSummary } from '../../src/analytics/sentiment.js';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { TestGrpcClient, grpcStatus, type WireMessage } from '../helpers/grpc-client.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { waitForSummary } from '../helpers/redis-summary.js';
import { useRulesFile } from '../helpers/rules-file.js';
import { RecordingClient, type ServerMessage } from '../helpers/ws-client.js';

// Text-derived analytics only (no silence/overtalk/raised-tone rules): those need audio.
const RULES = `
categories:
  - name: greeting
    rules: [{ type: phrase, party: agent, phrases: [hello], window: { firstMs: 5000 } }]
  - name: disclosure
    rules: [{ type: phrase, party: agent, phrases: ["record*"] }]
  - name: churn-risk
    severity: high
    alert: true
    tags: [churn]
    rules: [{ type: proximity, party: customer, phrases: ["cancel*"], near: [account], withinWords: 2 }]
  - name: account-details
    rules: [{ type: phrase, party: agent, phrases: [balance] }]
  - name: verified-first
    rules: [{ type: order, before: { party: agent, phrases: [verify] }, after: { party: agent, phrases: [balance] } }]
  - name: promise
    rules: [{ type: phrase, party: agent, phrases: [guaranteed] }]
  - name: closing
    rules: [{ type: phrase, party: agent, phrases: [anything], window: { lastPercent: 30 } }]
  - name: never-said-supervisor
    rules: [{ type: phrase, phrases: [supervisor], negate: true }]
scorecard:
  name: text-qa
  checks:
    - { name: greeting, category: greeting, weight: 1 }
    - { name: disclosure, category: disclosure, weight: 3, deadlineMs: 4000, severity: high }
    - { name: identity-first, category: verified-first, applicableIf: account-details, weight: 3 }
    - { name: no-promises, category: promise, expect: no_match, weight: 2 }
    - { name: closing, category: closing, weight: 1 }
`;

const PARTIES = ['customer', 'agent'];
const ACOUSTIC = new Set(['raised_tone', 'silence', 'overtalk']);

type Line = CallSummary['transcript'][number];

/** What must be the same whichever way the words arrived. */
function comparable(summary: CallSummary) {
  const alerts = summary.alerts
    .filter((a) => !ACOUSTIC.has(a.kind))
    .map(({ id, kind, category, severity, party, phrase, startMs, endMs, tags, details }) => ({ id: id.slice(summary.callId.length), kind, category, severity, party, phrase, startMs, endMs, tags, details }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const { categories, scorecard, emotionCurve } = summary.analytics;
  // Utterances are listed as their finals arrived: two recognizers may finish in either order.
  const sentiment = summary.analytics.sentiment as SentimentSummary;
  const utterances = [...sentiment.utterances].sort((a, b) => a.startMs - b.startMs);
  return { alerts, tags: summary.tags, transcript: summary.transcript, categories, scorecard, sentiment: { ...sentiment, utterances }, emotionCurve };
}

function utterances(transcript: Line[]): WireMessage[] {
  return transcript.map((t) => ({ type: 'utterance', party: t.party, text: t.text, startMs: t.startMs, endMs: t.endMs, final: true, words: t.words }));
}

describe('text calls (input "text") get the analytics of the equivalent audio call', () => {
  const rulesFile = useRulesFile('voc-text-rules-', RULES);
  const live = useLiveService('text-input', () => ({ keywords: CALL_KEYWORDS, analytics: { rulesFiles: [rulesFile.path] } }));
  let grpc: TestGrpcClient;
  let audio: CallSummary;
  beforeAll(async () => {
    grpc = new TestGrpcClient(live.svc.service.grpcPort!);
    // The reference: the same call as audio through the tiny model.
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello' },
        { party: 'customer', atMs: 1800, text: 'cancel account refund' },
        { party: 'agent', atMs: 4000, text: 'verify thanks' },
        { party: 'agent', atMs: 6000, text: 'balance recorded' },
        { party: 'customer', atMs: 7500, text: 'supervisor' },
        { party: 'agent', atMs: 9000, text: 'guaranteed' },
        { party: 'agent', atMs: 10_500, text: 'anything thanks' },
      ],
      { parties: PARTIES, sampleRate: 8000, encoding: 'mulaw', durationMs: 12_500 },
    );
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'text-ref-audio', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: PARTIES });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    audio = (await client.waitFor((m) => m.type === 'summary', 30_000)) as unknown as CallSummary;
  });
  afterAll(() => grpc.close());

  it('the reference audio call produced the words and analytics the comparison relies on', () => {
    expect(audio.transcript.map((t) => `${t.party}:${t.text}`)).toEqual([
      'agent:hello',
      'customer:cancel account refund',
      'agent:verify thanks',
      'agent:balance recorded',
      'customer:supervisor',
      'agent:guaranteed',
      'agent:anything thanks',
    ]);
    expect(audio.alerts.map((a) => `${a.kind}:${a.category}`)).toEqual(
      expect.arrayContaining(['keyword:churn-risk', 'category:churn-risk', 'compliance:disclosure', 'compliance:no-promises', 'keyword:escalation']),
    );
  });

  it('over /v1/stream: same alerts, tags, scorecard and categories, in the socket summary and in Redis; acoustic measures not available', async () => {
    const { svc, redis, keys } = live;
    const callId = 'text-ws-1';
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, input: 'text', parties: PARTIES });
    const started = await client.waitFor((m) => m.type === 'started');
    expect(started).toMatchObject({ callId, input: 'text', parties: PARTIES });
    for (const u of utterances(audio.transcript)) client.send(u);
    // The transcript's source knows the call's length: windows relative to the end use it.
    client.send({ type: 'stop', durationMs: audio.durationMs });
    const summary = (await client.waitFor((m) => m.type === 'summary', 30_000)) as unknown as CallSummary;
    expect((await client.closed).code).toBe(1000);

    expect(comparable(summary)).toEqual(comparable(audio));
    expect(summary).toMatchObject({ input: 'text', endReason: 'stop', audio: {} });
    expect(summary.durationMs).toBe(audio.durationMs);
    // Transcripts come back as events too, and the keyword alert went out live.
    expect(client.ofType('transcript').filter((t) => t.final)).toHaveLength(audio.transcript.length);
    expect(client.ofType('alert').some((a) => a.kind === 'keyword' && a.category === 'churn-risk')).toBe(true);
    // What text cannot give is null with a reason, not zero.
    expect(summary.analytics.raisedTone).toEqual({ available: false, reason: 'text input: the call has no audio' });
    const talk = summary.analytics.talk as Record<string, unknown> & { parties: Record<string, Record<string, unknown>> };
    expect(talk).toMatchObject({ silence: null, overtalk: null, notAvailable: { silence: expect.any(String), overtalk: expect.any(String) } });
    expect(talk.parties.agent).toMatchObject({ talkMs: null, interruptionsMade: null, words: 8 });
    expect(summary.alerts.some((a) => ACOUSTIC.has(a.kind))).toBe(false);

    // Redis: the stored summary is the one sent, tags as for the audio call.
    const stored = JSON.parse((await redis.get(keys.callSummary(callId)))!) as CallSummary;
    expect(stored).toEqual(summary);
    expect((await redis.smembers(keys.callTags(callId))).sort()).toEqual([...audio.tags].sort());
    expect(await redis.hgetall(keys.call(callId))).toMatchObject({ state: 'ended', endReason: 'stop' });
  });

  it('over gRPC voc.v1.CallAnalytics: the same analytics from Utterance messages', async () => {
    const { svc, redis } = live;
    const callId = 'text-grpc-1';
    const stream = grpc.streamCall();
    await stream.send({ config: { call_id: callId, parties: PARTIES, input: 'TEXT' } });
    const started = await stream.waitFor((m) => m.started !== undefined && m.started !== null);
    expect(started.started).toMatchObject({ call_id: callId, input: 'TEXT' });
    for (const t of audio.transcript) {
      await stream.send({
        utterance: {
          party: t.party,
          text: t.text,
          start_ms: t.startMs,
          end_ms: t.endMs,
          words: t.words.map((w) => ({ word: w.word, start_ms: w.startMs, end_ms: w.endMs, conf: w.conf })),
        },
      });
    }
    await stream.send({ end: { duration_ms: audio.durationMs } });
    stream.halfClose();
    const status = await stream.status;
    expect(status.code, status.details).toBe(grpcStatus.OK);
    const sent = JSON.parse(String(stream.of('summary')[0]!.summary_json)) as CallSummary;
    const stored = (await waitForSummary(redis, svc.prefix, callId)) as unknown as CallSummary;
    expect(stored).toEqual(sent);
    expect(comparable(stored)).toEqual(comparable(audio));
    expect(stored.input).toBe('text');
  });

  it('bad text input: a clear error, and the call summary is still written', async () => {
    const { svc, redis } = live;
    const cases: Array<{ callId: string; send: unknown; code: string }> = [
      { callId: 'text-bad-party', send: { type: 'utterance', party: 'supervisor', text: 'hi', startMs: 0, endMs: 10 }, code: 'unknown_party' },
      { callId: 'text-bad-time', send: { type: 'utterance', party: 'agent', text: 'hi', startMs: 500, endMs: 400 }, code: 'bad_timing' },
      { callId: 'text-bad-size', send: { type: 'utterance', party: 'agent', text: 'x'.repeat(10_001), startMs: 1000, endMs: 1500 }, code: 'text_too_large' },
      { callId: 'text-bad-utf8', send: Buffer.concat([Buffer.from('{"type":"utterance","party":"agent","text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","startMs":1000,"endMs":1200}')]), code: 'bad_utf8' },
      { callId: 'text-bad-surrogate', send: '{"type":"utterance","party":"agent","text":"\\ud800","startMs":1000,"endMs":1200}', code: 'bad_utf8' },
      { callId: 'text-bad-audio', send: Buffer.alloc(320), code: 'wrong_input' },
    ];
    for (const c of cases) {
      const client = new RecordingClient(svc.wsUrl('/v1/stream'));
      await client.opened;
      client.send({ type: 'start', callId: c.callId, input: 'text', parties: PARTIES });
      await client.waitFor((m) => m.type === 'started');
      client.send({ type: 'utterance', party: 'agent', text: 'hello', startMs: 500, endMs: 900 });
      // Buffers: invalid UTF-8 goes out as a text frame, the audio case as a binary one.
      if (Buffer.isBuffer(c.send)) client.socket.send(c.send, { binary: c.code === 'wrong_input' });
      else client.send(c.send);
      const error = await client.waitFor((m) => m.type === 'error');
      expect(error, c.callId).toMatchObject({ code: c.code, callId: c.callId });
      expect(String(error.message).length).toBeGreaterThan(10);
      const stored = await waitForSummary(redis, svc.prefix, c.callId);
      expect(stored, c.callId).toMatchObject({ endReason: 'error', input: 'text' });
      expect(stored.transcript.map((t) => t.text)).toEqual(['hello']);
    }
  });

  it('times going backwards within a party are rejected; another party may overlap', async () => {
    const { svc } = live;
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'text-backwards', input: 'text', parties: PARTIES });
    await client.waitFor((m) => m.type === 'started');
    client.send({ type: 'utterance', party: 'agent', text: 'hello', startMs: 2000, endMs: 3000 });
    client.send({ type: 'utterance', party: 'customer', text: 'hi', startMs: 1500, endMs: 2500 });
    client.send({ type: 'utterance', party: 'agent', text: 'again', startMs: 1000, endMs: 1200 });
    const error: ServerMessage = await client.waitFor((m) => m.type === 'error');
    expect(error).toMatchObject({ code: 'bad_timing' });
    expect(String(error.message)).toMatch(/backwards/);
  });
});
