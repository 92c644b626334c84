import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCallAudio } from '../helpers/call-audio.js';
import { TestGrpcClient, grpcStatus, type WireMessage } from '../helpers/grpc-client.js';
import { useLiveService } from '../helpers/live-service.js';
import { findSummaryIds, waitForSummary } from '../helpers/redis-summary.js';

/** vosk-server's grpc/stt_client.py reads the file in 4000-byte chunks (125 ms of 16 kHz PCM16). */
const CHUNK_BYTES = 4000;

interface Duration {
  seconds: number;
  nanos: number;
}
interface WordInfo {
  word: string;
  start_time: Duration;
  end_time: Duration;
  confidence: number;
}
interface Chunk {
  alternatives: Array<{ text: string; confidence: number; words: WordInfo[] }>;
  final: boolean;
  end_of_utterance: boolean;
}

const ms = (d: Duration) => d.seconds * 1000 + d.nanos / 1e6;
const chunksOf = (messages: WireMessage[]) => messages.flatMap((m) => m.chunks as Chunk[]);

function audioRequests(bytes: Buffer): WireMessage[] {
  const out: WireMessage[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) out.push({ audio_content: bytes.subarray(i, i + CHUNK_BYTES) });
  return out;
}

describe('vosk-server gRPC API (vosk.stt.v1.SttService) on the real service', () => {
  // Any party: this churn-risk has no party filter, unlike the shared CHURN_RISK.
  const live = useLiveService('grpc-vosk', {
    keywords: [{ name: 'churn-risk', phrases: ['cancel account'], severity: 'high', alert: true, tags: ['churn'] }],
  });
  let client: TestGrpcClient;
  beforeAll(() => {
    client = new TestGrpcClient(live.svc.service.grpcPort!);
  });
  afterAll(() => client.close());

  it('a vosk-server client (config, then 16 kHz PCM16 chunks) gets partial and final results with words; the call is analyzed into Redis', async () => {
    const { svc, redis, keys } = live;
    const callId = 'vosk-grpc-call-1';
    const call = buildCallAudio(
      [
        { party: 'customer', atMs: 500, text: 'hello cancel account' },
        { party: 'customer', atMs: 3500, text: 'refund thanks' },
      ],
      { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' },
    );
    const stream = client.streamingRecognize({ metadata: { 'x-call-id': callId } });
    await stream.send({ config: { specification: { partial_results: true, audio_encoding: 'LINEAR16_PCM', sample_rate_hertz: 16000 } } });
    await stream.sendAll(audioRequests(call.bytes), 1, 10);
    stream.halfClose();
    const status = await stream.status;
    expect(status.code, status.details).toBe(grpcStatus.OK);

    const chunks = chunksOf(stream.messages);
    expect(stream.messages.every((m) => (m.chunks as Chunk[]).length === 1)).toBe(true);
    expect(chunks.some((c) => !c.final && c.alternatives[0]!.text.length > 0)).toBe(true);
    const finals = chunks.filter((c) => c.final && c.alternatives[0]!.text !== '');
    expect(finals.map((c) => c.alternatives[0]!.text)).toEqual(['hello cancel account', 'refund thanks']);
    expect(finals.every((c) => c.end_of_utterance)).toBe(true);
    // The last response is always a final, like vosk-server's closing FinalResult().
    expect(chunks[chunks.length - 1]!.final).toBe(true);

    const words = finals.flatMap((c) => c.alternatives[0]!.words);
    expect(words.map((w) => w.word)).toEqual(['hello', 'cancel', 'account', 'refund', 'thanks']);
    for (const w of words) {
      const truth = call.words.find((t) => t.word === w.word)!;
      expect(Math.abs(ms(w.start_time) - truth.startMs), w.word).toBeLessThanOrEqual(100);
      expect(Math.abs(ms(w.end_time) - truth.endMs), w.word).toBeLessThanOrEqual(100);
      expect(w.confidence).toBeGreaterThan(0);
      expect(w.confidence).toBeLessThanOrEqual(1);
    }
    expect(finals[0]!.alternatives[0]!.confidence).toBeGreaterThan(0);

    // A normal call for the engine: analyzed (keyword alert, tags) and summarized in Redis.
    const summary = await waitForSummary(redis, svc.prefix, callId);
    expect(summary).toMatchObject({ callId, protocol: 'vosk-grpc', parties: ['customer'], endReason: 'stop', alertCount: 1 });
    expect(summary.tags).toEqual(['churn', 'churn-risk']);
    expect(summary.transcript.map((t) => t.text)).toEqual(['hello cancel account', 'refund thanks']);
    const alerts = await redis.xrange(keys.callAlerts(callId), '-', '+');
    expect(alerts).toHaveLength(1);
  });

  it('without partial_results only finals come back; without x-call-id the engine names the call', async () => {
    const call = buildCallAudio([{ party: 'customer', atMs: 300, text: 'verify' }], { parties: ['customer'], sampleRate: 8000, encoding: 'pcm16' });
    const stream = client.streamingRecognize();
    await stream.send({ config: { specification: { audio_encoding: 'LINEAR16_PCM', sample_rate_hertz: 8000 } } });
    await stream.sendAll(audioRequests(call.bytes), 1, 5);
    stream.halfClose();
    expect((await stream.status).code).toBe(grpcStatus.OK);
    const chunks = chunksOf(stream.messages);
    expect(chunks.every((c) => c.final)).toBe(true);
    expect(chunks.map((c) => c.alternatives[0]!.text)).toContain('verify');

    const ids = await findSummaryIds(live.redis, live.svc.prefix, 'vosk-');
    expect(ids.filter((id) => /^vosk-[0-9a-f-]{36}$/.test(id))).toHaveLength(1);
  });

  it('refuses audio before config, a missing rate and odd-sized PCM16 with INVALID_ARGUMENT', async () => {
    const before = client.streamingRecognize();
    await before.send({ audio_content: Buffer.alloc(3200) });
    expect((await before.status).code).toBe(grpcStatus.INVALID_ARGUMENT);

    const noRate = client.streamingRecognize();
    await noRate.send({ config: { specification: { audio_encoding: 'LINEAR16_PCM' } } });
    const noRateStatus = await noRate.status;
    expect(noRateStatus.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(noRateStatus.details).toMatch(/sample_rate_hertz is required/);

    const odd = client.streamingRecognize({ metadata: { 'x-call-id': 'vosk-odd' } });
    await odd.send({ config: { specification: { sample_rate_hertz: 16000 } } });
    await odd.send({ audio_content: Buffer.alloc(4001) });
    expect((await odd.status).code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(await waitForSummary(live.redis, live.svc.prefix, 'vosk-odd')).toMatchObject({ endReason: 'error', protocol: 'vosk-grpc' });
  });
});
