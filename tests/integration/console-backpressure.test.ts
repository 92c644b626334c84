import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useLiveService } from '../helpers/live-service.js';

const KEY = 'console-bp-key-0123456789';

/** A client-to-server WebSocket text frame (masked, as browsers send them), payload under 126 bytes. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

const WATCH = JSON.stringify({ type: 'watch', callId: 'bp-call' });

/** A browser that watches the call, then never reads: a raw WebSocket handshake, then the socket is paused for good. */
function stalledFeedClient(port: number): Promise<{ closed: Promise<void>; resume(): void }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /console/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nx-api-key: ${KEY}\r\n\r\n`,
      );
    });
    socket.once('data', (head) => {
      if (!head.toString().startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${head.toString().split('\r\n')[0]}`));
      socket.write(maskedTextFrame(WATCH));
      socket.pause();
      resolve({ closed: new Promise((done) => socket.once('close', () => done())), resume: () => socket.resume() });
    });
    socket.once('error', reject);
  });
}

describe('console live feed backpressure (real engine, real Redis)', () => {
  const live = useLiveService('console-bp', { auth: { apiKeys: [KEY] }, console: { maxClientBufferedBytes: 64 * 1024 } });

  it('disconnects a browser that stops reading, while another browser gets every message and the engine stays responsive', async () => {
    const { svc, redis, keys } = live;
    const port = svc.service.httpPort;
    const stalled = await stalledFeedClient(port);
    const healthy = new WebSocket(svc.wsUrl('/console/live'), { headers: { 'x-api-key': KEY } });
    let received = 0;
    let sawLast = false;
    healthy.on('message', (data) => {
      const batch = JSON.parse(data.toString()) as Array<{ type: string; event?: { utterance?: number } }>;
      for (const m of batch) {
        if (m.type !== 'transcript') continue;
        received++;
        if (m.event?.utterance === 3999) sawLast = true;
      }
    });
    await new Promise((resolve) => healthy.once('open', resolve));
    healthy.send(WATCH);
    // A browser on the board (watching no call) gets no transcript lines at all.
    const onBoard = new WebSocket(svc.wsUrl('/console/live'), { headers: { 'x-api-key': KEY } });
    let boardLines = 0;
    onBoard.on('message', (data) => {
      boardLines += (JSON.parse(data.toString()) as Array<{ type: string }>).filter((m) => m.type === 'transcript').length;
    });
    await new Promise((resolve) => onBoard.once('open', resolve));
    // The watch requests are read before the lines arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // 4000 transcript lines of ~4 KB (16 MB, more than the kernel's socket buffers hold) through
    // Redis pub/sub, as engines publish them.
    const text = 'refund '.repeat(580);
    for (let i = 0; i < 4000; i += 200) {
      const pipeline = redis.pipeline();
      for (let u = i; u < i + 200; u++) {
        pipeline.publish(keys.transcriptChannel(), JSON.stringify({ type: 'transcript', v: 1, callId: 'bp-call', party: 'customer', final: true, text, words: [], startMs: u, endMs: u + 1, utterance: u }));
      }
      await pipeline.exec();
      // The engine answers between bursts: nothing waits on the stalled browser.
      expect((await fetch(`${svc.httpUrl}/healthz`)).status).toBe(200);
    }
    // The engine counted and dropped it; once the stalled client reads again, it finds the socket closed.
    const slowClients = async () => Number(/^voc_console_slow_clients_total (\d+)/m.exec(await (await fetch(`${svc.httpUrl}/metrics`, { headers: { 'x-api-key': KEY } })).text())?.[1] ?? 0);
    for (let i = 0; i < 200 && (await slowClients()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await slowClients()).toBeGreaterThanOrEqual(1);
    stalled.resume();
    await Promise.race([stalled.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the stalled browser was never disconnected')), 20_000))]);
    const deadline = Date.now() + 20_000;
    while (!sawLast && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sawLast).toBe(true);
    expect(received).toBe(4000);
    expect(boardLines).toBe(0);
    healthy.close();
    onBoard.close();
  }, 60_000);
});
