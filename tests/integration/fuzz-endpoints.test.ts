import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { TestGrpcClient } from '../helpers/grpc-client.js';
import { CALL_KEYWORDS, useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

/**
 * Grammar-aware fuzzing of every endpoint next to a good call: each input is a valid prefix of its
 * protocol followed by one message with one hostile field (or raw junk). Asserts 0 crashes (an
 * uncaught exception fails the run), 0 hangs (/healthz keeps answering; its latency is reported and
 * bounded generously so busy cores do not fail it), the good call's transcript unchanged and RSS bounded.
 * FUZZ_RUNS sets the number of inputs (`npm run fuzz` runs 10,000); FUZZ_SEED the seed.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 1414);
const KEY = 'fuzz-test-key-0001';
const ORG = randomUUID();
const RAW = '"__RAW__"';

/** A hostile JSON value, as JSON text (deep nesting cannot go through JSON.stringify). */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 100, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 100, max: 5000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
  fc.constantFrom('999999999999999', '"999999999999999"', '1e308', '-1e308', '-1', '0', '"PT1000000000S"', '"PT-5S"', 'null', 'true', '""', '"NaN"', '[]', '{}'),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.integer({ min: 100, max: 20_000 }).map((n) => JSON.stringify(Array.from({ length: n }, (_, i) => i))),
  fc.integer({ min: 100, max: 5000 }).map((n) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
  fc.string({ maxLength: 40, unit: 'binary' }).map((s) => JSON.stringify(s)),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '0')),
);

/** `message` with the field at `path` replaced by hostile raw JSON. */
function withHostile(message: Record<string, unknown>, path: string[], raw: string): string {
  const copy = structuredClone(message) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = '__RAW__';
  return JSON.stringify(copy).replace(RAW, raw);
}

type Endpoint = 'stream' | 'twilio' | 'fork' | 'vosk' | 'audiohook' | 'grpc';

interface FuzzInput {
  endpoint: Endpoint;
  field: number;
  raw: string;
  junk: Uint8Array;
}

const input: fc.Arbitrary<FuzzInput> = fc.record({
  endpoint: fc.constantFrom<Endpoint>('stream', 'twilio', 'fork', 'vosk', 'audiohook', 'grpc'),
  field: fc.nat(20),
  raw: hostile,
  junk: fc.uint8Array({ maxLength: 2000 }),
});

const streamStart = () => ({ type: 'start', callId: `fz-${randomUUID()}`, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'], metadata: { q: 1 } });
const twilioStart = () => ({
  event: 'start',
  sequenceNumber: '1',
  start: {
    accountSid: 'AC0123', streamSid: 'MZ0123', callSid: `CA-${randomUUID()}`, tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: { token: KEY },
  },
});
const twilioMedia = () => ({ event: 'media', sequenceNumber: '2', media: { track: 'inbound', chunk: '1', timestamp: '20', payload: Buffer.alloc(160, 0xff).toString('base64') } });
const forkMeta = () => ({ callSid: `fork-${randomUUID()}`, mixType: 'mono', sampleRate: 8000 });
const voskConfig = () => ({ config: { sample_rate: 8000, words: 1 } });
const audiohookOpen = (sessionId: string) => ({
  version: '2', id: sessionId, type: 'open', seq: 1, serverseq: 0, position: 'PT0S',
  parameters: {
    organizationId: ORG, conversationId: randomUUID(), participant: { id: randomUUID(), ani: '+1', aniName: 'x', dnis: '+1' },
    media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
  },
});

/** Paths of each protocol's fields that may carry the hostile value. */
const FIELDS: Record<Exclude<Endpoint, 'grpc'>, string[][]> = {
  stream: [['metadata'], ['metadata', 'x'], ['sampleRate'], ['channels'], ['parties'], ['callId'], ['language'], ['encoding'], ['type'], ['flowControl']],
  twilio: [['media', 'timestamp'], ['media', 'payload'], ['media', 'track'], ['media', 'chunk'], ['sequenceNumber'], ['event'], ['media']],
  fork: [['sampleRate'], ['mixType'], ['callSid'], ['extra'], ['language']],
  vosk: [['config', 'sample_rate'], ['config', 'words'], ['config', 'phrase_list'], ['config'], ['eof']],
  audiohook: [['parameters', 'discarded'], ['parameters', 'start'], ['seq'], ['position'], ['parameters'], ['type']],
};

function connect(url: string, options: WebSocket.ClientOptions, protocols: string[] = []): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
    socket.once('unexpected-response', () => resolve(undefined));
  });
}

/** Sends one fuzzed input on its endpoint and closes (the engine must end whatever it opened). */
async function send(base: string, grpc: TestGrpcClient, i: FuzzInput): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (i.endpoint === 'grpc') {
    const stream = grpc.streamCall({ metadata: { 'x-api-key': KEY } });
    const config = { config: { call_id: `g-${randomUUID()}`, encoding: 'MULAW', sample_rate: 8000, channels: 1, parties: ['customer'], metadata: { q: 'x'.repeat(i.raw.length % 5000) } } };
    await stream.send(config);
    await stream.send({ audio: { audio: Buffer.from(i.junk) } });
    stream.call.cancel();
    await stream.status;
    return;
  }
  const path = FIELDS[i.endpoint][i.field % FIELDS[i.endpoint].length]!;
  const headers = { 'x-api-key': KEY };
  let socket: WebSocket | undefined;
  const messages: Array<string | Buffer> = [];
  switch (i.endpoint) {
    case 'stream':
      socket = await connect(`${base}/v1/stream`, { headers });
      messages.push(withHostile(streamStart(), path, i.raw), Buffer.from(i.junk));
      break;
    case 'twilio':
      socket = await connect(`${base}/v1/twilio`, {});
      messages.push(JSON.stringify(twilioStart()), withHostile(twilioMedia(), path, i.raw));
      break;
    case 'fork':
      socket = await connect(`${base}/v1/fork?token=${KEY}`, {}, ['audio.drachtio.org']);
      messages.push(withHostile(forkMeta(), path, i.raw), Buffer.from(i.junk));
      break;
    case 'vosk':
      socket = await connect(`${base}/v1/vosk`, { headers });
      messages.push(withHostile(voskConfig(), path, i.raw), Buffer.from(i.junk.subarray(0, i.junk.length & ~1)));
      break;
    case 'audiohook': {
      const sessionId = randomUUID();
      socket = await connect(`${base}/v1/audiohook`, { headers: { ...headers, 'audiohook-session-id': sessionId, 'audiohook-organization-id': ORG } });
      const discarded = { version: '2', id: sessionId, type: 'discarded', seq: 2, serverseq: 1, position: 'PT0S', parameters: { start: 'PT0S', discarded: 'PT1S' } };
      messages.push(JSON.stringify(audiohookOpen(sessionId)), withHostile(discarded, path, i.raw), Buffer.from(i.junk));
      break;
    }
  }
  if (!socket) return;
  for (const m of messages) {
    if (socket.readyState !== WebSocket.OPEN) break;
    socket.send(m);
    await sleep(1);
  }
  socket.terminate();
}

describe('fuzzing every endpoint next to a good call', () => {
  const live = useLiveService('fuzz', {
    auth: { apiKeys: [KEY] },
    keywords: CALL_KEYWORDS,
    limits: { maxConcurrentCalls: 400 },
    server: { startTimeoutMs: 2000, idleTimeoutMs: 5000, maxMessageBytes: 1024 * 1024 },
  });
  const script = [
    { party: 'customer' as const, atMs: 500, text: 'hello cancel account' },
    { party: 'customer' as const, atMs: 4000, text: 'refund supervisor' },
  ];

  async function goodCall(callId: string): Promise<string[]> {
    const url = live.svc.wsUrl('/v1/stream');
    const client = new RecordingClient(url, new WebSocket(url, { headers: { 'x-api-key': KEY } }));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    const call = buildCallAudio(script, { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    await client.sendAudio(frames(call, 8000, 20), 5, 100); // about real time
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary', 120_000);
    return (summary.transcript as Array<{ text: string }>).map((t) => t.text);
  }

  // About 20 ms per input on an idle machine; the bound leaves room for busy cores.
  it(`${RUNS} grammar-aware hostile inputs: no crash, no hang, the good call unchanged, RSS bounded`, { timeout: Math.max(180_000, RUNS * 300) }, async () => {
    const baseline = await goodCall('fuzz-baseline');
    const base = live.svc.wsUrl('').replace(/\/$/, '');
    const grpc = new TestGrpcClient(live.svc.service.grpcPort!);
    const latencies: number[] = [];
    let healthzFailures = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const began = performance.now();
        try {
          const res = await fetch(`${live.svc.httpUrl}/healthz`);
          await res.text();
          if (res.status !== 200) healthzFailures++;
        } catch {
          healthzFailures++;
        }
        latencies.push(performance.now() - began);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const rssBefore = process.memoryUsage().rss;
    let sent = 0;
    try {
      const good = goodCall('fuzz-good');
      await fc.assert(
        fc.asyncProperty(input, async (i) => {
          await send(base, grpc, i);
          sent++;
        }),
        { seed: SEED, numRuns: RUNS },
      );
      expect(await good).toEqual(baseline);
      // Every fuzzed call ends (timeouts, errors, disconnects) and frees its slot.
      const deadline = Date.now() + 60_000;
      while (live.svc.service.engine.activeCalls > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(live.svc.service.engine.activeCalls).toBe(0);
    } finally {
      polling = false;
      await poller;
      grpc.close();
    }
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1e6;
    const sorted = [...latencies].sort((a, b) => a - b);
    const report = {
      inputs: sent,
      seed: SEED,
      healthzChecks: latencies.length,
      healthzFailures,
      healthzP50Ms: +sorted[Math.floor(sorted.length / 2)]!.toFixed(1),
      healthzP99Ms: +sorted[Math.floor(sorted.length * 0.99)]!.toFixed(1),
      healthzMaxMs: +sorted.at(-1)!.toFixed(1),
      rssGrowthMb: +rssGrowthMb.toFixed(1),
    };
    console.log('fuzz:', JSON.stringify(report));
    expect(sent).toBe(RUNS);
    expect(healthzFailures).toBe(0);
    // A hang is many seconds to forever (a 10 h Twilio jump blocked 12 s); 5 s bounds it with room for busy cores (the 200 ms target is reported above).
    expect(report.healthzMaxMs).toBeLessThan(5000);
    expect(report.rssGrowthMb).toBeLessThan(400);
  });
});

