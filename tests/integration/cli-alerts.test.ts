import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createLogger } from '../../src/log/logger.js';
import { EngineMetrics } from '../../src/metrics/metrics.js';
import { connectRedis, type RedisClient } from '../../src/publish/redis-connection.js';
import { RedisCallPublisher } from '../../src/publish/redis-publisher.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { cliEnv, runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { deletePrefix, testRedis, TEST_REDIS_URL } from '../helpers/redis.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { RecordingClient } from '../helpers/ws-client.js';

// `voc alerts` (built CLI) against the alert stream of a real service: a call streamed over
// /v1/stream raises an alert, and the console prints it while the call is still running.

const ALERT_LINE =
  /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}HIGH {6}churn-risk {2}call=alerts-call-1 {2}party=customer {2}"cancel account" {2}00:03\.\d{3}-00:0[34]\.\d{3} {2}\(keyword(, tentative)?\)$/m;

describe('voc alerts', () => {
  let svc: TestService;
  let redis: Redis;
  let env: NodeJS.ProcessEnv;
  const consoles: CliProcess[] = [];
  let livePrinted = '';

  beforeAll(async () => {
    svc = await startTestService('cli-alerts', {
      keywords: [{ name: 'churn-risk', phrases: ['cancel account'], party: 'customer', severity: 'high', alert: true, tags: [] }],
    });
    redis = testRedis();
    env = cliEnv({ VOC_REDIS_URL: TEST_REDIS_URL, VOC_REDIS_PREFIX: svc.prefix, VOC_CONFIG: '/dev/null' });
  });
  afterAll(async () => {
    for (const c of consoles) c.child.kill('SIGKILL');
    await svc.close();
    await deletePrefix(redis, svc.prefix);
    redis.disconnect();
  });

  it('prints an alert that a concurrent call raises, then its withdrawal; Ctrl-C exits 0', async () => {
    const live = startCli(['alerts'], { env });
    const filtered = startCli(['alerts', '--severity', 'critical'], { env });
    consoles.push(live, filtered);
    await live.waitFor('stderr', /following .*:alerts on redis:\/\/127\.0\.0\.1:6379/);
    await filtered.waitFor('stderr', /following/);

    const call = buildCallAudio([{ party: 'customer', atMs: 3000, text: 'cancel account refund' }], { parties: ['customer', 'agent'], sampleRate: 8000, encoding: 'mulaw', durationMs: 20_000 });
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId: 'alerts-call-1', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] });
    await client.waitFor((m) => m.type === 'started');
    const audio = frames(call, 8000, 20);
    // Send the first 6 s, and see the alert on the console while the call is still open.
    await client.sendAudio(audio.slice(0, 300));
    const [line] = await live.waitFor('stdout', ALERT_LINE);
    expect(line).toBeDefined();
    expect(svc.service.engine.activeCalls).toBe(1);
    await client.sendAudio(audio.slice(300));
    client.send({ type: 'stop' });
    await client.waitFor((m) => m.type === 'summary');

    // A withdrawal as the engine's publisher writes it.
    const conn: RedisClient = connectRedis({ url: TEST_REDIS_URL, cluster: false });
    const publisher = new RedisCallPublisher(conn, { prefix: svc.prefix, retentionMs: 60_000, alertStreamMaxLen: 1000, maxPendingWrites: 10 }, new EngineMetrics({ defaults: false }), createLogger('silent'), 60_000);
    await publisher.alertWithdrawn({ type: 'alert_withdrawn', v: 1, id: 'alerts-call-2/k', callId: 'alerts-call-2', kind: 'keyword', category: 'escalation', raisedAt: new Date().toISOString() }, 'r1');
    conn.disconnect();
    await live.waitFor('stdout', /WITHDRAWN {2}escalation {2}call=alerts-call-2 {2}id=alerts-call-2\/k/);

    live.child.kill('SIGINT');
    expect(await live.exited).toEqual({ code: 0, signal: null });
    livePrinted = live.stdout;
    filtered.child.kill('SIGTERM');
    expect(await filtered.exited).toEqual({ code: 0, signal: null });
    expect(filtered.stdout).toBe(''); // nothing critical, and the withdrawal was of an alert it never showed
  });

  it('--last N --no-follow replays history, filtered, and exits', async () => {
    const all = await runCli(['alerts', '--last', '5', '--no-follow'], { env });
    expect(all.code).toBe(0);
    // The same lines the live console printed (the keyword alert, a silence alert, the withdrawal).
    expect(all.stdout).toBe(livePrinted);
    expect(all.stdout).toMatch(ALERT_LINE);
    expect(all.stdout.trim().split('\n')).toHaveLength(3);

    const one = await runCli(['alerts', '--last', '1', '--no-follow', '--category', 'churn-risk', '--json'], { env });
    expect(JSON.parse(one.stdout)).toMatchObject({ type: 'alert', callId: 'alerts-call-1', category: 'churn-risk', phrase: 'cancel account' });

    const call = await runCli(['alerts', '--from-start', '--no-follow', '--call', 'nobody'], { env });
    expect(call).toMatchObject({ code: 0, stdout: '' });
  });

  it('says which Redis it could not reach, and how to start one (exit 4)', async () => {
    const r = await runCli(['alerts', '--redis-url', 'redis://:s3cret@127.0.0.1:1', '--connect-timeout', '300'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cannot reach Redis at redis://:***@127.0.0.1:1');
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr).toContain('redis-server');
    expect(r.stderr).toContain('docker run -d --name voc-redis -p 6379:6379 redis:7');
  });
});
