import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useLiveService } from '../helpers/live-service.js';

describe('/v1/vosk: a client that configures and then sends nothing', () => {
  const live = useLiveService('vosk-idle', { server: { startTimeoutMs: 300 } });

  it('is closed after server.startTimeoutMs, like one that sends nothing at all', async () => {
    const socket = new WebSocket(live.svc.wsUrl('/v1/vosk'));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ config: { sample_rate: 8000 } }));
    const code = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open'), 3000))]);
    if (code === 'still open') socket.terminate();
    expect(code).toBe(1008);
  });
});
