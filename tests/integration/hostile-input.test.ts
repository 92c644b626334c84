import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

/** `[[[...]]]` nested `depth` levels as JSON text (12 KB at 6,000 levels, what crashed the engine); built as text because JSON.stringify itself overflows on it. */
function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `json` with `"<marker>"` replaced by raw JSON text. */
function withRaw(json: string, marker: string, raw: string): string {
  return json.replace(JSON.stringify(marker), raw);
}

const ORG_ID = randomUUID();

function closedOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

async function healthz(url: string): Promise<number> {
  return (await fetch(`${url}/healthz`)).status;
}

describe('hostile input at every entry is bounded before it is stored or serialized', () => {
  const live = useLiveService('hostile-input', { auth: { apiKeys: ['hostile-test-key'] }, server: { host: '127.0.0.1' } });
  const headers = { 'x-api-key': 'hostile-test-key' };

  it('/v1/stream: metadata nested 6,000 levels deep is refused as bad_start; the engine and a good call go on', async () => {
    const { svc } = live;
    const good = new RecordingClient(svc.wsUrl('/v1/stream'), new WebSocket(svc.wsUrl('/v1/stream'), { headers }));
    await good.opened;
    good.send({ type: 'start', callId: 'hostile-good', encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await good.waitFor((m) => m.type === 'started');

    for (const metadata of [`{"deep": ${nested(6000)}}`, JSON.stringify({ wide: Array.from({ length: 5000 }, (_, i) => i) }), JSON.stringify({ long: 'x'.repeat(100_000) })]) {
      const bad = new RecordingClient(svc.wsUrl('/v1/stream'), new WebSocket(svc.wsUrl('/v1/stream'), { headers }));
      await bad.opened;
      const start = { type: 'start', callId: `hostile-${randomUUID()}`, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'], metadata: 'METADATA' };
      bad.send(withRaw(JSON.stringify(start), 'METADATA', metadata));
      const error = await bad.waitFor((m) => m.type === 'error');
      expect(error).toMatchObject({ code: 'bad_start' });
      expect(String(error.message)).toMatch(/limits\.metadata/);
      await bad.closed;
    }
    expect(await healthz(svc.httpUrl)).toBe(200);
    const call = buildCallAudio([{ party: 'customer', atMs: 200, text: 'hello' }], { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    await good.sendAudio(frames(call, 8000, 20));
    good.send({ type: 'stop' });
    const summary = await good.waitFor((m) => m.type === 'summary');
    expect(summary).toMatchObject({ callId: 'hostile-good', endReason: 'stop' });
  });

  it('/v1/fork: a nested metadata frame is refused before the call exists (no half-written Redis record)', async () => {
    const { svc, redis, keys } = live;
    const socket = new WebSocket(`${svc.wsUrl('/v1/fork')}?token=hostile-test-key`, 'audio.drachtio.org');
    await opened(socket);
    const closed = closedOf(socket);
    const callId = `fork-hostile-${randomUUID()}`;
    socket.send(withRaw(JSON.stringify({ callSid: callId, mixType: 'mono', sampleRate: 8000, extra: 'NESTED' }), 'NESTED', nested(6000)));
    socket.send(Buffer.alloc(320));
    const { code } = await closed;
    expect(code).toBe(1008);
    expect(await redis.exists(keys.call(callId))).toBe(0);
  });

  it('/v1/twilio: nested customParameters are refused; a media timestamp of "999999999999999" ends the call at once', async () => {
    const { svc, redis, keys } = live;
    const start = (callSid: string, customParameters: Record<string, unknown>) =>
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        start: {
          accountSid: 'AC0123456789abcdef0123456789abcdef',
          streamSid: `MZ${callSid}`,
          callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { token: 'hostile-test-key', ...customParameters },
        },
      });
    const media = (seq: number, timestamp: string) =>
      JSON.stringify({ event: 'media', sequenceNumber: String(seq), media: { track: 'inbound', chunk: String(seq - 1), timestamp, payload: Buffer.alloc(160, 0xff).toString('base64') } });

    const deep = new WebSocket(svc.wsUrl('/v1/twilio'));
    await opened(deep);
    const deepClosed = closedOf(deep);
    const deepSid = `CA-deep-${randomUUID()}`;
    deep.send(withRaw(start(deepSid, { nested: 'NESTED' }), 'NESTED', nested(6000)));
    expect(await deepClosed).toMatchObject({ code: 1008 });
    expect(await redis.exists(keys.call(deepSid))).toBe(0);

    const jump = new WebSocket(svc.wsUrl('/v1/twilio'));
    await opened(jump);
    const jumpClosed = closedOf(jump);
    const callSid = `CA-jump-${randomUUID()}`;
    jump.send(start(callSid, {}));
    jump.send(media(2, '0'));
    jump.send(media(3, '999999999999999'));
    const { code, reason } = await jumpClosed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/maxGapMs/);
    expect(await healthz(svc.httpUrl)).toBe(200);
  });

  it('/v1/audiohook: a discarded span of PT1000000000S ends the session at once', async () => {
    const { svc } = live;
    const sessionId = randomUUID();
    const socket = new WebSocket(svc.wsUrl('/v1/audiohook'), {
      headers: { 'audiohook-organization-id': ORG_ID, 'audiohook-session-id': sessionId, 'x-api-key': 'hostile-test-key' },
    });
    await opened(socket);
    const types: string[] = [];
    let serverseq = 0;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; seq: number };
      serverseq = message.seq;
      types.push(message.type);
    });
    const closed = closedOf(socket);
    let seq = 0;
    const send = (type: string, parameters: Record<string, unknown>) =>
      socket.send(JSON.stringify({ version: '2', id: sessionId, type, seq: ++seq, serverseq, position: 'PT0S', parameters }));
    send('open', {
      organizationId: ORG_ID,
      conversationId: randomUUID(),
      participant: { id: randomUUID(), ani: '+13175550000', aniName: 'Jane', dnis: '+18005550199' },
      media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
    });
    while (!types.includes('opened')) await new Promise((r) => setTimeout(r, 10));
    send('discarded', { start: 'PT0S', discarded: 'PT1000000000S' });
    while (!types.includes('disconnect')) await new Promise((r) => setTimeout(r, 10));
    socket.close();
    await closed;
    expect(await healthz(svc.httpUrl)).toBe(200);
  });
});
