import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, OwnRedis } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';

// /readyz follows Redis: a private redis-server is stopped and started again on the same port.

async function readiness(svc: TestService): Promise<{ status: number; body: { ready: boolean; checks: Record<string, boolean> } }> {
  const res = await fetch(`${svc.httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean> } };
}

async function until(svc: TestService, ready: boolean, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await readiness(svc);
    if (r.body.ready === ready && r.status === (ready ? 200 : 503)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`/readyz stayed ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('/readyz and Redis', () => {
  let redis: OwnRedis;
  let svc: TestService;

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    svc = await startTestService('readiness', { redis: { url: redis.url, healthIntervalMs: 200 }, grpc: { enabled: false } });
  });
  afterAll(async () => {
    await svc?.close();
    await redis?.stop();
  });

  it('is ready with Redis, not ready while it is down, ready again when it is back; /healthz stays up', async () => {
    await until(svc, true);
    expect((await readiness(svc)).body.checks).toEqual({ model: true, redis: true, accepting: true });

    await redis.stop();
    const downMs = await until(svc, false);
    expect((await readiness(svc)).body.checks).toEqual({ model: true, redis: false, accepting: true });
    expect((await fetch(`${svc.httpUrl}/healthz`)).status).toBe(200);

    await redis.start();
    const upMs = await until(svc, true);
    // The PING runs every 200 ms; ioredis reconnects with a backoff of at most 2 s.
    expect(downMs).toBeLessThan(1500);
    expect(upMs).toBeLessThan(4000);
  });

  it('is not ready while draining', async () => {
    svc.service.engine.startDraining();
    await until(svc, false);
    expect((await readiness(svc)).body.checks).toMatchObject({ accepting: false, redis: true });
  });
});
