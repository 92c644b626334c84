import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VocKeys } from '../../src/publish/voc-keys.js';
import { DepartmentStreamReader } from '../../src/publish/voc-reader.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { useLiveService } from '../helpers/live-service.js';
import { fetchMetrics } from '../helpers/metrics.js';
import { testRedis, TEST_REDIS_URL } from '../helpers/redis.js';
import { RecordingClient } from '../helpers/ws-client.js';
import { TONE_DRIVERS_YAML } from '../helpers/voc.js';

describe('drivers end to end over /v1/stream (real engine, libvosk, Redis, CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voc-drivers-'));
  const rulesFile = join(dir, 'drivers.yaml');
  writeFileSync(rulesFile, TONE_DRIVERS_YAML);
  const live = useLiveService('voc-e2e', { analytics: { rulesFiles: [rulesFile] } });
  let sub: Redis;
  const driverMessages: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    sub = testRedis();
    await sub.subscribe(new VocKeys(live.svc.prefix).driversChannel());
    sub.on('message', (_c, m: string) => driverMessages.push(JSON.parse(m) as Record<string, unknown>));
  });
  afterAll(() => {
    sub.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the driver event, writes the call hash and the department stream, and voc drivers shows it', { timeout: 180_000 }, async () => {
    const { svc, redis, keys } = live;
    const callId = 'voc-e2e-1';
    const call = buildCallAudio(
      [
        { party: 'agent', atMs: 300, text: 'hello' },
        { party: 'customer', atMs: 1500, text: 'refund' },
      ],
      { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw' },
    );
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'], language: 'en' });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    const summary = await client.waitFor((m) => m.type === 'summary');

    // The driver event on the socket, before the summary, and on pub/sub.
    const [driver] = client.ofType('driver');
    expect(driver).toMatchObject({ type: 'driver', v: 1, callId, primary: { id: 'refund', name: '退款', department: 'billing', dimensions: { businessType: 'mobile', system: 'billing' } }, secondary: [] });
    expect(client.messages.indexOf(driver!)).toBeLessThan(client.messages.indexOf(summary));
    await new Promise((r) => setTimeout(r, 200));
    expect(driverMessages).toEqual([driver]);

    // Summary, tags and call hash.
    expect(summary).toMatchObject({ analytics: { drivers: { primary: { id: 'refund', department: 'billing' } } } });
    expect(summary.tags).toEqual(expect.arrayContaining(['driver:refund', 'department:billing']));
    expect(await redis.hgetall(keys.call(callId))).toMatchObject({ driver: 'refund', department: 'billing' });

    // The department's stream, read with a consumer group.
    const billing = new DepartmentStreamReader(redis, svc.prefix, 'billing', 'billing-team', 'e2e');
    await billing.ensureGroup();
    const entries = await billing.read();
    expect(entries.map((e) => e.entry)).toEqual([expect.objectContaining({ type: 'driver_call', callId, primary: expect.objectContaining({ id: 'refund' }) })]);
    await billing.ack(entries.map((e) => e.id));

    // Metrics per department and driver.
    expect(await fetchMetrics(svc.httpUrl)).toMatch(/voc_driver_calls_total\{department="billing",driver="refund"\} 1/);

    // voc drivers (the built CLI, as operators run it).
    const env = cliEnv({ VOC_REDIS_URL: TEST_REDIS_URL, VOC_REDIS_PREFIX: svc.prefix, VOC_CONFIG: '/dev/null' });
    const text = await runCli(['drivers', '--period', '1h'], { env, timeoutMs: 60_000 });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\(1h\): 1 calls/);
    expect(text.stdout).toMatch(/^billing 计费部: 1 calls$/m);
    expect(text.stdout).toMatch(/^ {2}refund +退款 +1 +100\.0% +new$/m);
    expect(text.stdout).toContain('Open spikes: 0');
    const json = await runCli(['drivers', '--period', '1h', '--json', '--department', 'billing'], { env, timeoutMs: 60_000 });
    expect(JSON.parse(json.stdout)).toMatchObject({ report: { volume: 1, departments: [{ department: 'billing', drivers: [{ id: 'refund', calls: 1, rate: 1 }] }] }, openSpikes: [] });
    const missing = await runCli(['spikes', 'ack', 'no-such-spike', '--note', 'x'], { env, timeoutMs: 60_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no spike no-such-spike');
  });
});
