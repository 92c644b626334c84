import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { KeywordCategory } from '../../src/config/schema.js';
import { RedisKeys } from '../../src/publish/keys.js';
import { deletePrefix, testRedis } from './redis.js';
import { startTestService, type Overrides, type TestService } from './service.js';

/** What a describe block needs from its running service; readable once its beforeAll has run. */
export interface LiveService {
  readonly svc: TestService;
  readonly redis: Redis;
  readonly keys: RedisKeys;
}

/** The customer saying "cancel account": the alert most integration calls are scripted to raise. */
export const CHURN_RISK: KeywordCategory = { name: 'churn-risk', phrases: ['cancel account'], party: 'customer', severity: 'high', alert: true, tags: ['churn'] };
/** Anyone saying "supervisor". */
export const ESCALATION: KeywordCategory = { name: 'escalation', phrases: ['supervisor'], severity: 'medium', alert: true, tags: [] };
/** The keyword categories the protocol tests share. */
export const CALL_KEYWORDS: KeywordCategory[] = [CHURN_RISK, ESCALATION];

function started<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`useLiveService: ${name} read before beforeAll started the service`);
  return value;
}

/**
 * Registers beforeAll/afterAll in the calling describe block: starts the real service (startTestService)
 * and opens a Redis client; afterwards closes the service, deletes its key prefix and disconnects.
 * `overrides` may be a function when it depends on something an earlier beforeAll creates (a rules file).
 * Vitest runs afterAll hooks in reverse, so hooks a test registers after this one run before the service closes.
 */
export function useLiveService(label: string, overrides: Overrides | (() => Overrides) = {}): LiveService {
  let svc: TestService | undefined;
  let redis: Redis | undefined;
  let keys: RedisKeys | undefined;

  beforeAll(async () => {
    svc = await startTestService(label, typeof overrides === 'function' ? overrides() : overrides);
    redis = testRedis();
    keys = new RedisKeys(svc.prefix);
  });
  afterAll(async () => {
    await svc?.close();
    if (svc && redis) await deletePrefix(redis, svc.prefix);
    redis?.disconnect();
  });

  return {
    get svc() {
      return started(svc, 'svc');
    },
    get redis() {
      return started(redis, 'redis');
    },
    get keys() {
      return started(keys, 'keys');
    },
  };
}
