import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { twilioSignature } from '../../src/auth/twilio-signature.js';
import { bindHost } from '../../src/service.js';
import { TestGrpcClient } from '../helpers/grpc-client.js';
import { useLiveService } from '../helpers/live-service.js';

const KEY = 'auth-test-key-0001';
const WRONG = 'not-the-right-key';

type Upgrade = { opened: true; socket: WebSocket; protocol: string } | { opened: false; status: number };

/** Tries one WebSocket upgrade: the opened socket, or the HTTP status the server refused it with. */
function upgrade(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    socket.once('open', () => resolve({ opened: true, socket, protocol: socket.protocol }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', (err) => reject(err));
  });
}

async function expectRefused(url: string, options: Parameters<typeof upgrade>[1] = {}): Promise<void> {
  const result = await upgrade(url, options);
  if (result.opened) result.socket.close();
  expect(result).toMatchObject({ opened: false, status: 401 });
}

async function expectOpened(url: string, options: Parameters<typeof upgrade>[1] = {}): Promise<WebSocket> {
  const result = await upgrade(url, options);
  if (!result.opened) throw new Error(`upgrade to ${url} refused with ${result.status}`);
  return result.socket;
}

function twilioStart(callSid: string, customParameters: Record<string, string>): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    start: {
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      streamSid: `MZ${callSid}`,
      callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters,
    },
  });
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('one authentication model: with auth.apiKeys set, every endpoint refuses strangers', () => {
  const live = useLiveService('auth-endpoints', { auth: { apiKeys: [KEY], protectMetrics: true } });
  const ws = (path: string) => live.svc.wsUrl(path);

  it('/v1/stream and /v1/vosk: no key or a wrong one is refused with 401; Authorization or x-api-key opens', async () => {
    for (const path of ['/v1/stream', '/v1/vosk']) {
      await expectRefused(ws(path));
      await expectRefused(ws(path), { headers: { 'x-api-key': WRONG } });
      await expectRefused(ws(path), { headers: { authorization: `Bearer ${WRONG}` } });
      // Headers-only protocols do not read keys from the URL (URLs end up in proxy logs).
      await expectRefused(ws(`${path}?token=${KEY}`));
      (await expectOpened(ws(path), { headers: { 'x-api-key': KEY } })).close();
      (await expectOpened(ws(path), { headers: { authorization: `Bearer ${KEY}` } })).close();
    }
  });

  it('/v1/fork: refused without a key; ?token= or a voc-key.<key> subprotocol opens', async () => {
    await expectRefused(ws('/v1/fork'), { protocols: ['audio.drachtio.org'] });
    await expectRefused(ws(`/v1/fork?token=${WRONG}`), { protocols: ['audio.drachtio.org'] });
    await expectRefused(ws('/v1/fork'), { protocols: ['audio.drachtio.org', `voc-key.${WRONG}`] });
    (await expectOpened(ws(`/v1/fork?token=${KEY}`), { protocols: ['audio.drachtio.org'] })).close();
    const bySubprotocol = await expectOpened(ws('/v1/fork'), { protocols: ['audio.drachtio.org', `voc-key.${KEY}`] });
    expect(bySubprotocol.protocol).toBe('audio.drachtio.org');
    bySubprotocol.close();
  });

  it('/v1/twilio: a wrong ?token= is refused; without one, a start lacking customParameters.token opens no call', async () => {
    await expectRefused(ws(`/v1/twilio?token=${WRONG}`));
    const engine = live.svc.service.engine;
    for (const params of [{}, { token: WRONG }] as Record<string, string>[]) {
      const socket = await expectOpened(ws('/v1/twilio'));
      const end = closed(socket);
      socket.send(twilioStart(`CA-auth-${randomUUID()}`, params));
      const { code, reason } = await end;
      expect(code).toBe(1008);
      expect(reason).toMatch(/^unauthenticated/);
      expect(engine.activeCalls).toBe(0);
    }
    // The right key as a custom parameter opens the call; the key is not kept in the call's metadata.
    const callSid = `CA-auth-${randomUUID()}`;
    const socket = await expectOpened(ws('/v1/twilio'));
    socket.send(twilioStart(callSid, { token: KEY, campaign: 'spring' }));
    await waitUntil(() => engine.activeCalls === 1);
    const end = closed(socket);
    socket.send(JSON.stringify({ event: 'stop', sequenceNumber: '2', stop: {} }));
    await end;
    const summary = await waitForMetadata(live, callSid);
    expect(summary).toMatchObject({ campaign: 'spring' });
    expect(summary).not.toHaveProperty('token');
  });

  it('/v1/audiohook: refused without the X-API-KEY', async () => {
    const headers = { 'audiohook-session-id': randomUUID(), 'audiohook-organization-id': randomUUID() };
    await expectRefused(ws('/v1/audiohook'), { headers });
    await expectRefused(ws('/v1/audiohook'), { headers: { ...headers, 'x-api-key': WRONG } });
    (await expectOpened(ws('/v1/audiohook'), { headers: { ...headers, 'x-api-key': KEY } })).close();
  });

  it('/metrics with auth.protectMetrics needs a key; /healthz and /readyz stay open for probes', async () => {
    expect((await fetch(`${live.svc.httpUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${live.svc.httpUrl}/metrics`, { headers: { authorization: `Bearer ${WRONG}` } })).status).toBe(401);
    const ok = await fetch(`${live.svc.httpUrl}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/voc_ingest_errors_total\{protocol="stream",reason="unauthenticated"\}/);
    expect((await fetch(`${live.svc.httpUrl}/healthz`)).status).toBe(200);
  });

  it('gRPC (both services) refuses calls without a valid key', async () => {
    const client = new TestGrpcClient(live.svc.service.grpcPort!);
    try {
      for (const metadata of [{}, { 'x-api-key': WRONG }] as Record<string, string>[]) {
        const voc = client.streamCall({ metadata });
        await voc.send({ config: { call_id: `grpc-auth-${randomUUID()}`, encoding: 'MULAW', sample_rate: 8000, channels: 1, parties: ['customer'] } });
        expect((await voc.status).code).toBe(16);
        const vosk = client.streamingRecognize({ metadata });
        expect((await vosk.status).code).toBe(16);
      }
    } finally {
      client.close();
    }
  });
});

describe('Twilio request validation: with protocols.twilio.authToken, X-Twilio-Signature is required', () => {
  const AUTH_TOKEN = 'twilio-auth-token-123';
  const live = useLiveService('auth-twilio-signature', { auth: { apiKeys: [KEY] }, protocols: { twilio: { authToken: AUTH_TOKEN } } });

  it('refuses a missing or forged signature and accepts one signed with the auth token', async () => {
    const url = live.svc.wsUrl('/v1/twilio');
    const host = new URL(url).host;
    await expectRefused(url);
    await expectRefused(url, { headers: { 'x-twilio-signature': twilioSignature('some-other-token', `wss://${host}/v1/twilio`) } });
    const socket = await expectOpened(url, { headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `wss://${host}/v1/twilio`) } });
    // A signed stream needs no API key in its start.
    socket.send(twilioStart(`CA-signed-${randomUUID()}`, {}));
    await waitUntil(() => live.svc.service.engine.activeCalls === 1);
    const end = closed(socket);
    socket.close();
    await end;
  });
});

describe('bind address', () => {
  it('without API keys and without an explicit host, listens on loopback only', () => {
    expect(bindHost(undefined, true)).toBe('127.0.0.1');
    expect(bindHost(undefined, false)).toBe('0.0.0.0');
    expect(bindHost('0.0.0.0', true)).toBe('0.0.0.0');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForMetadata(live: ReturnType<typeof useLiveService>, callId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const raw = await live.redis.hget(live.keys.call(callId), 'metadata');
    if (raw) return JSON.parse(raw) as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`no metadata for ${callId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
