import type { RedisClient } from './redis-connection.js';

export interface RedisHealthOptions {
  /** How often Redis is pinged. */
  intervalMs: number;
  /** A PING slower than this counts as a miss. */
  timeoutMs: number;
  /**
   * Consecutive missed PINGs before Redis counts as unreachable (default 3): one slow answer on a busy
   * machine, or behind a burst of writes on the same connection, must not flap readiness. A closed
   * connection counts at once.
   */
  missesBeforeDown?: number;
}

/**
 * Whether Redis answers, for readiness: the connection must be 'ready' AND the recent PINGs must have
 * answered in time. The status alone misses a Redis that hangs without closing the socket.
 */
export class RedisHealth {
  private answered = false;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private lastErrorText: string | undefined;
  private misses = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly options: RedisHealthOptions,
  ) {
    // A dropped connection is known at once, without waiting for the next PING.
    client.on('close', () => (this.answered = false));
    // A (re)connection is known at once too: the first PING at start may have found it still connecting.
    client.on('ready', () => {
      if (this.timer) void this.probe();
    });
    client.on('error', (err: Error) => (this.lastErrorText = err.message));
  }

  start(): void {
    if (this.timer) return;
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get reachable(): boolean {
    return this.answered && this.client.status === 'ready';
  }

  /** The last connection error seen, for messages ("ECONNREFUSED 127.0.0.1:6379"). */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** Resolves true as soon as Redis answers a PING, false when `timeoutMs` passes first. */
  async waitUntilReachable(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.probe();
      if (this.reachable) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, left)));
    }
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    if (this.client.status !== 'ready') {
      // PINGs sent now would wait in the offline queue; the connection state already says no.
      this.answered = false;
      return;
    }
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`PING took longer than ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      await Promise.race([this.client.ping(), timeout]);
      this.answered = true;
      this.misses = 0;
    } catch (err) {
      this.misses++;
      if (this.misses >= (this.options.missesBeforeDown ?? 3)) this.answered = false;
      this.lastErrorText = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }
}

/**
 * Logs Redis outages once each (ioredis reports every failed reconnect attempt, every 2 s at most):
 * a warning when the connection is lost, an info line when it is back.
 */
export function logRedisOutages(client: RedisClient, log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }, url: string): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: err.message, url }, 'redis unreachable; writes are buffered (redis.maxPendingWrites) and /readyz reports not ready');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ url }, 'redis connection restored');
  });
}
