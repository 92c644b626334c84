import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { interruptCall } from './call-rebuild.js';
import { parseActiveCallMember, RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

export interface CrashRecoveryDeps {
  redis: RedisClient;
  prefix: string;
  retentionMs: number;
  recentCallsMax: number;
  /** server.instanceId: stable across restarts of this instance. */
  instance: string;
  /** server.instanceLeaseMs: renewed every third of it; a process silent this long is dead. */
  leaseMs: number;
  /** Runs before each sweep while Redis answers (the publisher's spool replay), so a spooled real summary lands before its call could be taken for interrupted. */
  beforeSweep?: () => Promise<void>;
  metrics: EngineMetrics;
  log: Logger;
  now?: () => number;
}

/**
 * Crash recovery for one engine instance (docs/operations.md, "Crash recovery"). Each engine process
 * holds a lease in Redis under its instanceId and lists its active calls (the publisher adds and
 * removes them). A process that dies without ending its calls (crash, SIGKILL, OOM kill) stops
 * renewing its lease; once the lease has expired, a live process of the same instance, normally its
 * restart, ends those calls as 'interrupted' with the summary Redis can give (call-rebuild.ts).
 * Other instances' calls are never touched: each instance recovers its own.
 */
export class CrashRecovery {
  /** This process's name under the instance: unique, so two processes sharing an instanceId never mistake each other. */
  readonly process = `p${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly keys: RedisKeys;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly deps: CrashRecoveryDeps) {
    this.keys = new RedisKeys(deps.prefix);
    this.now = deps.now ?? Date.now;
  }

  /** This process's active-call set (the publisher's processCallsKey). */
  get callsKey(): string {
    return this.keys.processCalls(this.deps.instance, this.process);
  }

  /** Renews the lease and sweeps now, then every third of the lease. */
  start(): void {
    if (this.timer || this.stopped) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.deps.leaseMs / 3)));
    this.timer.unref();
  }

  /**
   * One round: renew this process's lease, let the spool replay, then end the calls of every dead
   * process of this instance. Returns how many calls were marked interrupted. Never throws.
   */
  tick(): Promise<number> {
    this.running ??= this.runTick()
      .catch((err: unknown) => {
        this.deps.metrics.redisPublishFailures.inc({ operation: 'crash_recovery' });
        this.deps.log.error({ err }, 'crash recovery round failed; retried at the next lease renewal');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /**
   * Stops renewing. `release`: give the lease back now (a clean exit leaves nothing to recover);
   * otherwise it expires on its own and the next start recovers what this process left.
   */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!release) return;
    await this.running;
    const { instance } = this.deps;
    await this.deps.redis.multi().del(this.keys.processLease(instance, this.process)).hdel(this.keys.instanceProcesses(instance), this.process).exec();
  }

  private async runTick(): Promise<number> {
    if (this.stopped) return 0;
    await this.renew();
    await this.deps.beforeSweep?.();
    return this.sweep();
  }

  /** Lease first, then the registration: a process listed in `processes` always had its lease set. */
  private async renew(): Promise<void> {
    const { instance, leaseMs } = this.deps;
    const results = await this.deps.redis
      .multi()
      .set(this.keys.processLease(instance, this.process), String(this.now()), 'PX', leaseMs)
      .hset(this.keys.instanceProcesses(instance), this.process, String(this.now()))
      .exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('lease renewal aborted');
  }

  private async sweep(): Promise<number> {
    const { instance } = this.deps;
    const processes = await this.deps.redis.hgetall(this.keys.instanceProcesses(instance));
    let interrupted = 0;
    for (const [name, lastSeen] of Object.entries(processes)) {
      if (name === this.process || this.stopped) continue;
      if ((await this.deps.redis.exists(this.keys.processLease(instance, name))) === 1) continue; // alive
      interrupted += await this.recoverProcess(name, Number(lastSeen) || undefined);
    }
    return interrupted;
  }

  /** Ends every call the dead process `name` left active, then forgets the process. */
  private async recoverProcess(name: string, lastSeenMs: number | undefined): Promise<number> {
    const { redis, instance, log } = this.deps;
    const callsKey = this.keys.processCalls(instance, name);
    const members = await redis.smembers(callsKey);
    let interrupted = 0;
    let failed = 0;
    for (const member of members) {
      const call = parseActiveCallMember(member);
      try {
        const summary = call ? await interruptCall(redis, this.deps, call.callId, call.record, { instance, process: name, lastSeenMs, nowMs: this.now() }) : undefined;
        if (call && summary) {
          interrupted++;
          this.deps.metrics.callsTotal.inc({ protocol: summary.protocol, end_reason: 'interrupted' });
          log.warn(
            { callId: call.callId, protocol: summary.protocol, record: call.record, deadProcess: name, alertCount: summary.alertCount, transcriptLines: summary.transcript.length },
            'call left active by a dead engine process marked interrupted; summary rebuilt from redis',
          );
        }
        await redis.srem(callsKey, member);
      } catch (err) {
        // One call that cannot be recovered now does not hold the others; it is tried again next round.
        failed++;
        this.deps.metrics.redisPublishFailures.inc({ operation: 'crash_recovery' });
        log.error({ callId: call?.callId, deadProcess: name, err }, 'call of a dead engine process not recovered; retried at the next lease renewal');
      }
    }
    if (failed === 0) await redis.hdel(this.keys.instanceProcesses(instance), name);
    log.info({ deadProcess: name, instance, calls: members.length, interrupted, failed, lastSeenAt: lastSeenMs ? new Date(lastSeenMs).toISOString() : undefined }, 'crash recovery: dead engine process cleaned up');
    return interrupted;
  }
}
