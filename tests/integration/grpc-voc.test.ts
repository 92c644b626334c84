import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyAlert } from '../helpers/alerts.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { TestGrpcClient, grpcStatus, type RecordingGrpcStream, type WireMessage } from '../helpers/grpc-client.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { waitForSummary } from '../helpers/redis-summary.js';

const config = (callId: string, extra: WireMessage = {}): WireMessage => ({
  config: { call_id: callId, encoding: 'MULAW', sample_rate: 8000, channels: 2, parties: ['customer', 'agent'], language: 'en', ...extra },
});

describe('voc.v1.CallAnalytics over gRPC (real service, real libvosk, real Redis)', () => {
  const live = useLiveService('grpc-voc', { keywords: CALL_KEYWORDS });
  let client: TestGrpcClient;
  beforeAll(() => {
    client = new TestGrpcClient(live.svc.service.grpcPort!);
  });
  afterAll(() => client.close()); // runs before the service closes (after-hooks run in reverse)

  it('streams a two-party stereo mu-law call: started, partial and final transcripts per party, the keyword alert, the summary', async () => {
    const { svc, redis, keys } = live;
    const callId = 'grpc-call-1';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 500, text: 'hello recorded verify' },
        { party: 'customer', atMs: 2500, text: 'cancel account refund' },
        { party: 'agent', atMs: 5000, text: 'supervisor guaranteed' },
        { party: 'customer', atMs: 7000, text: 'thanks' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const stream = client.streamCall();
    await stream.send(config(callId, { metadata: { queue: 'billing' } }));
    const started = await stream.waitFor((m) => m.started !== undefined && m.started !== null);
    expect(started.started).toEqual({ call_id: callId, parties: ['customer', 'agent'], encoding: 'MULAW', sample_rate: 8000, channels: 2, input: 'AUDIO' });

    const t0 = Date.now();
    await stream.sendAll(frames(call, 8000, 20).map((audio) => ({ audio: { audio } })));
    await stream.send({ end: {} });
    stream.halfClose();
    const status = await stream.status;
    const elapsedMs = Date.now() - t0;
    expect(status.code, status.details).toBe(grpcStatus.OK);

    const transcripts = stream.of('transcript');
    for (const party of ['customer', 'agent']) {
      expect(transcripts.some((t) => t.party === party && t.final === false), `partial ${party}`).toBe(true);
      expect(transcripts.some((t) => t.party === party && t.final === true), `final ${party}`).toBe(true);
    }
    const finals = transcripts.filter((t) => t.final).map((t) => `${String(t.party)}:${String(t.text)}`);
    expect(finals).toEqual(
      expect.arrayContaining(['agent:hello recorded verify', 'customer:cancel account refund', 'agent:supervisor guaranteed', 'customer:thanks']),
    );
    const cancelFinal = transcripts.find((t) => t.final && t.text === 'cancel account refund')!;
    const words = cancelFinal.words as Array<{ word: string; start_ms: number; end_ms: number; conf: number }>;
    const cancel = call.words.find((w) => w.word === 'cancel')!;
    expect(words.map((w) => w.word)).toEqual(['cancel', 'account', 'refund']);
    expect(Math.abs(words[0]!.start_ms - cancel.startMs)).toBeLessThanOrEqual(100);

    const alerts = stream.of('alert');
    const churn = onlyAlert(alerts, 'churn-risk');
    expect(churn).toMatchObject({ call_id: callId, kind: 'keyword', severity: 'HIGH', party: 'customer', phrase: 'cancel account', tags: ['churn'] });
    expect(Math.abs((churn.start_ms as number) - cancel.startMs)).toBeLessThanOrEqual(100);
    expect(alerts.some((a) => a.category === 'escalation' && a.party === 'agent')).toBe(true);

    // The summary is the last message, typed fields plus the full JSON, identical to Redis.
    const last = stream.messages[stream.messages.length - 1]!;
    const summary = last.summary as WireMessage;
    expect(summary).toMatchObject({ call_id: callId, protocol: 'grpc', end_reason: 'STOP', cut_short: false, parties: ['customer', 'agent'] });
    expect(summary.tags).toEqual(expect.arrayContaining(['churn', 'churn-risk']));
    const stored = await waitForSummary(redis, svc.prefix, callId);
    expect(JSON.parse(summary.summary_json as string)).toEqual(stored);
    expect(stored).toMatchObject({ callId, protocol: 'grpc', endReason: 'stop', metadata: { queue: 'billing' } });
    expect(Math.abs((stored.durationMs as number) - call.durationMs)).toBeLessThan(50);
    expect(await redis.hgetall(keys.call(callId))).toMatchObject({ state: 'ended', protocol: 'grpc', endReason: 'stop' });

    const metrics = await fetchMetrics(svc.httpUrl);
    expect(metrics).toMatch(/voc_calls_total\{protocol="grpc",end_reason="stop"\} 1/);
    console.log(`grpc voc: ${(call.durationMs / 1000).toFixed(1)} s call streamed and summarized in ${elapsedMs} ms, ${stream.messages.length} responses`);
  });

  it('refuses bad input with INVALID_ARGUMENT and a clear message, counts it, and finalizes a started call', async () => {
    const { svc, redis } = live;
    const expectStatus = async (label: string, act: (s: RecordingGrpcStream) => Promise<void>, code: number, pattern: RegExp) => {
      const stream = client.streamCall();
      await act(stream);
      const status = await stream.status;
      expect(status.code, `${label}: ${status.details}`).toBe(code);
      expect(status.details, label).toMatch(pattern);
      return status;
    };
    // A good call runs alongside the garbage and must not notice it.
    const goodCall = buildCallAudio([{ party: 'agent', atMs: 300, text: 'hello verify' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' });
    const good = client.streamCall();
    await good.send(config('good-call'));
    await good.waitFor((m) => m.started !== undefined && m.started !== null);
    const goodDone = good.sendAll(frames(goodCall, 8000, 20).map((audio) => ({ audio: { audio } }))).then(() => good.halfClose());

    const audioBefore = await expectStatus('audio before config', (s) => s.send({ audio: { audio: Buffer.alloc(320) } }), grpcStatus.INVALID_ARGUMENT, /audio received before the config/);
    expect(audioBefore.metadata.get('voc-error-code')).toEqual(['audio_before_start']);
    await expectStatus('empty request', (s) => s.send({}), grpcStatus.INVALID_ARGUMENT, /must set one of config, audio, end/);
    await expectStatus('no encoding', (s) => s.send(config('bad-enc', { encoding: 'ENCODING_UNSPECIFIED' })), grpcStatus.INVALID_ARGUMENT, /encoding must be one of PCM16, MULAW, ALAW/);
    await expectStatus('bad rate', (s) => s.send(config('bad-rate', { sample_rate: 44100 })), grpcStatus.INVALID_ARGUMENT, /sampleRate 44100 not allowed/);
    await expectStatus('channels vs parties', (s) => s.send(config('bad-parties', { parties: ['customer'] })), grpcStatus.INVALID_ARGUMENT, /parties must name each/);
    await expectStatus('half-close before config', async (s) => s.halfClose(), grpcStatus.INVALID_ARGUMENT, /ended before the config/);

    await expectStatus(
      'odd frame size',
      async (s) => {
        await s.send(config('bad-frames'));
        await s.waitFor((m) => m.started !== undefined && m.started !== null);
        await s.send({ audio: { audio: Buffer.alloc(3) } }); // stereo mu-law needs whole 2-byte sample frames
      },
      grpcStatus.INVALID_ARGUMENT,
      /^bad_frame_size: /,
    );
    // The call that had started is finalized and its summary written.
    expect(await waitForSummary(redis, svc.prefix, 'bad-frames')).toMatchObject({ endReason: 'error', protocol: 'grpc' });

    // An oversize message is refused by grpc-js itself (grpc.maxMessageBytes, 4 MiB by default).
    const oversize = await expectStatus(
      'oversize chunk',
      async (s) => {
        await s.send(config('too-big'));
        await s.waitFor((m) => m.started !== undefined && m.started !== null);
        await s.send({ audio: { audio: Buffer.alloc(svc.config.grpc.maxMessageBytes + 2) } });
      },
      grpcStatus.RESOURCE_EXHAUSTED,
      /larger than/,
    );
    expect(oversize.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(await waitForSummary(redis, svc.prefix, 'too-big')).toMatchObject({ endReason: 'disconnect' });
    await goodDone;
    expect((await good.status).code).toBe(grpcStatus.OK);
    expect(good.of('transcript').some((t) => t.final && t.text === 'hello verify')).toBe(true);
    expect(good.of('summary')[0]).toMatchObject({ call_id: 'good-call', end_reason: 'STOP' });

    const metrics = await fetchMetrics(svc.httpUrl);
    for (const reason of ['audio_before_start', 'unknown_message', 'unsupported_encoding', 'unsupported_sample_rate', 'bad_start', 'bad_message', 'bad_frame_size'])
      expect(metrics, reason).toMatch(new RegExp(`voc_ingest_errors_total\\{protocol="grpc",reason="${reason}"\\} 1`));
  });

  it('a client deadline that passes mid-call, or a cancel, finalizes the call as disconnect', async () => {
    const { svc, redis } = live;
    const callId = 'grpc-deadline';
    const call = buildCallAudio([{ party: 'customer', atMs: 200, text: 'hello' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' });
    const stream = client.streamCall({ deadlineMs: 800 });
    await stream.send(config(callId));
    await stream.waitFor((m) => m.started !== undefined && m.started !== null);
    await stream.sendAll(frames(call, 8000, 20).slice(0, 25).map((audio) => ({ audio: { audio } })));
    const status = await stream.status; // no End: the deadline ends the RPC
    expect(status.code).toBe(grpcStatus.DEADLINE_EXCEEDED);
    expect(await waitForSummary(redis, svc.prefix, callId)).toMatchObject({ endReason: 'disconnect', cutShort: true });

    // The same for an explicit cancel.
    const cancelled = client.streamCall();
    await cancelled.send(config('grpc-cancelled'));
    await cancelled.waitFor((m) => m.started !== undefined && m.started !== null);
    await cancelled.sendAll(frames(call, 8000, 20).slice(0, 10).map((audio) => ({ audio: { audio } })));
    cancelled.call.cancel();
    expect((await cancelled.status).code).toBe(grpcStatus.CANCELLED);
    expect(await waitForSummary(redis, svc.prefix, 'grpc-cancelled')).toMatchObject({ endReason: 'disconnect', cutShort: true });
  });

  it('answers health checks SERVING for the server and both services', async () => {
    for (const name of ['', 'voc.v1.CallAnalytics', 'vosk.stt.v1.SttService']) expect(await client.health(name)).toBe('SERVING');
  });
});

describe('gRPC admission: API keys, capacity, duplicates, draining', () => {
  const apiKey = 'grpc-test-key-0001';
  const live = useLiveService('grpc-admission', {
    auth: { apiKeys: [apiKey] },
    limits: { maxConcurrentCalls: 1 },
    server: { startTimeoutMs: 300 },
  });
  let client: TestGrpcClient;
  beforeAll(() => {
    client = new TestGrpcClient(live.svc.service.grpcPort!);
  });
  afterAll(() => client.close());

  it('refuses a call without a valid key as UNAUTHENTICATED; health needs no key', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong-key-000000' }, { authorization: 'Bearer nope-nope-nope' }];
    for (const metadata of attempts) {
      const stream = client.streamCall({ metadata });
      await stream.send(config('unauth'));
      const status = await stream.status;
      expect(status.code).toBe(grpcStatus.UNAUTHENTICATED);
    }
    const vosk = client.streamingRecognize();
    expect((await vosk.status).code).toBe(grpcStatus.UNAUTHENTICATED);
    expect(await client.health('')).toBe('SERVING');
  });

  it('a stream that sends no config in time ends with DEADLINE_EXCEEDED', async () => {
    const idle = client.streamCall({ metadata: { 'x-api-key': apiKey } });
    const status = await idle.status;
    expect(status.code).toBe(grpcStatus.DEADLINE_EXCEEDED);
    expect(status.details).toBe('timeout: no config message within 300 ms (server.startTimeoutMs)');
  });

  it('at capacity answers RESOURCE_EXHAUSTED, also for a live call id (nothing tells which ids are live); draining: NOT_SERVING and UNAVAILABLE', async () => {
    const first = client.streamCall({ metadata: { authorization: `Bearer ${apiKey}` } });
    await first.send(config('only-call'));
    await first.waitFor((m) => m.started !== undefined && m.started !== null);
    // The live call keeps sending (silence) so the first-audio and idle timeouts (server.startTimeoutMs 300) leave it alone.
    const keepAlive = setInterval(() => void first.send({ audio: { audio: Buffer.alloc(320, 0xff) } }), 50);

    const second = client.streamCall({ metadata: { 'x-api-key': apiKey } });
    await second.send(config('second-call'));
    const full = await second.status;
    expect(full.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(full.details).toMatch(/maxConcurrentCalls/);

    const dup = client.streamCall({ metadata: { 'x-api-key': apiKey } });
    await dup.send(config('only-call'));
    expect((await dup.status).code).toBe(grpcStatus.RESOURCE_EXHAUSTED);

    // Shutdown drains: health flips at once, new calls are refused, the live call may finish.
    const shutdown = live.svc.service.shutdown(10_000);
    expect(await client.health('')).toBe('NOT_SERVING');
    expect(await client.health('voc.v1.CallAnalytics')).toBe('NOT_SERVING');
    const late = client.streamCall({ metadata: { 'x-api-key': apiKey } });
    await late.send(config('late-call'));
    expect((await late.status).code).toBe(grpcStatus.UNAVAILABLE);

    clearInterval(keepAlive);
    await first.send({ end: {} });
    first.halfClose();
    expect((await first.status).code).toBe(grpcStatus.OK);
    expect(first.of('summary')[0]).toMatchObject({ call_id: 'only-call', end_reason: 'STOP' });
    expect(await shutdown).toEqual({ finished: 1, cutShort: 0 });
  });
});
