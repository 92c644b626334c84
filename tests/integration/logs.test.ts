import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startService, type RunningService } from '../../src/service.js';
import { memoryLogger, type LogLine } from '../helpers/asr.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { deletePrefix, testRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { tinyModelDir } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// The service's log lines for real calls: every call-related line carries callId and protocol, and
// nothing said in a call (transcript text) or sent as audio reaches the log at info level.

const WORDS = ['cancel', 'account', 'refund', 'supervisor'];

describe('structured logs of a call', () => {
  let service: RunningService;
  let lines: LogLine[];
  let modelDir: string;
  const prefix = uniquePrefix('logs');

  beforeAll(async () => {
    modelDir = tinyModelDir();
    const memory = memoryLogger('info');
    lines = memory.lines;
    const config = validateConfig({
      server: { port: 0, host: '127.0.0.1' },
      grpc: { enabled: false },
      redis: { url: TEST_REDIS_URL, prefix },
      model: { path: modelDir, autoDownload: false },
      // A tiny queue, so the second call overloads the recognizer and logs its drop episode.
      asr: { workers: 1, maxQueueMs: 100 },
      keywords: [{ name: 'churn-risk', phrases: ['cancel account'], severity: 'high' }],
      logging: { level: 'info' },
    });
    service = await startService(config, { log: memory.log });
  });
  afterAll(async () => {
    await service.close();
    const redis = testRedis();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    rmSync(modelDir, { recursive: true, force: true });
  });

  async function runCall(callId: string, burst: boolean, badInput = false): Promise<void> {
    const call = buildCallAudio([{ party: 'customer', atMs: 500, text: 'cancel account refund supervisor' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' });
    const client = new RecordingClient(`ws://127.0.0.1:${service.httpPort}/v1/stream`);
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], metadata: { note: 'cancel account' } });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20), burst ? 10_000 : 5, burst ? 0 : 10);
    if (badInput) client.send(Buffer.alloc(3)); // a partial stereo mu-law frame: input error
    else client.send({ type: 'stop' });
    // After an input error the socket closes at once; the call is still finalized (summary in Redis).
    await client.waitFor((m) => m.type === (badInput ? 'error' : 'summary'));
    await client.closed;
  }

  it('tags call lines with callId and protocol, and keeps what was said out of info-level lines', async () => {
    await runCall('logs-call-1', false);
    await runCall('logs-call-2', true, true);
    for (let i = 0; service.engine.activeCalls > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));

    const callLines = lines.filter((l) => typeof l.callId === 'string');
    const messages = new Set(callLines.map((l) => l.msg));
    for (const msg of ['call started', 'call ended', 'client input rejected', 'asr queue full: recognizer behind real time, dropping new audio']) {
      expect(messages, [...messages].join(' | ')).toContain(msg);
    }
    for (const line of callLines) expect(line, JSON.stringify(line)).toMatchObject({ protocol: 'stream' });

    for (const line of lines.filter((l) => l.level >= 30)) {
      const text = JSON.stringify(line);
      for (const word of WORDS) expect(text, text).not.toContain(word);
      expect(text.length, text).toBeLessThan(2000); // no audio payloads
    }
  });
});
