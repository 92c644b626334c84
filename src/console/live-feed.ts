import type { WebSocket } from 'ws';
import type { AlertEvent, AlertWithdrawnEvent, DriverEvent, TranscriptEvent } from '../events/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { RedisKeys } from '../publish/keys.js';
import { VocKeys } from '../publish/voc-keys.js';
import type { RedisClient } from '../publish/redis-connection.js';
import type { SpikeChannelEvent } from '../events/voc-wire.js';
import type { AckState, CallChange, LiveMessage } from './wire.js';

export interface LiveFeedOptions {
  flushIntervalMs: number;
  maxClientBufferedBytes: number;
  maxClients: number;
}

/** Alert entries read per XREAD; more wait for the next read. */
const XREAD_COUNT = 1000;
const XREAD_BLOCK_MS = 5000;
const RETRY_MS = 1000;
/** Messages held for one flush before the batch is cut (each browser then catches up from Redis). */
const MAX_BATCH_MESSAGES = 20_000;

/**
 * The console's live feed: one Redis reader per engine process fans out to every connected browser.
 * Alerts come from the global alert stream (XREAD BLOCK), so each carries its stream id, the position
 * a browser catches up from after a reconnect; transcripts, call changes and acks come from pub/sub.
 *
 * Backpressure: messages are batched every flushIntervalMs and serialized once for all browsers. A
 * browser whose socket still holds more than maxClientBufferedBytes unsent when the next batch is due
 * (so at most that plus one batch is held per browser) is disconnected instead of
 * buffering without bound; it reconnects and catches up from the streams. Nothing here waits on a
 * browser, so a slow one never holds the engine back.
 */
/** How long stop() waits for the alert reader to return. */
const STOP_WAIT_MS = 1000;

export class LiveFeed {
  private readonly clients = new Set<WebSocket>();
  private batch: LiveMessage[] = [];
  private overflowed = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly voc: VocKeys;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly reader: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: LiveFeedOptions,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
  ) {
    this.voc = new VocKeys(keys.prefix);
  }

  /**
   * Subscribes and starts following the alert stream. Nothing here waits for Redis: when it is down at
   * start, ioredis queues the subscription and the reads until it comes, and the engine serves meanwhile.
   */
  start(): void {
    const channels = [this.keys.callsChannel(), this.keys.transcriptChannel(), this.keys.consoleChannel(), this.voc.driversChannel(), this.voc.spikesChannel()];
    this.subscriber.on('message', (channel: string, message: string) => this.onPubSub(channel, message));
    this.subscriber.subscribe(...channels).catch((err: unknown) => {
      if (!this.stopped) this.log.warn({ err }, 'console feed subscription failed');
    });
    this.loop = this.followAlerts();
    this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Follows the alert stream from its current end (found once Redis answers). */
  private async followAlerts(): Promise<void> {
    while (!this.stopped) {
      try {
        const last = await this.reader.xrevrange(this.keys.alertStream(), '+', '-', 'COUNT', 1);
        return await this.readAlerts(last[0]?.[0] ?? '0-0');
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err }, 'console alert feed start failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  get full(): boolean {
    return this.clients.size >= this.options.maxClients;
  }

  add(ws: WebSocket): void {
    this.clients.add(ws);
    this.metrics.consoleClients.set(this.clients.size);
    ws.on('close', () => {
      this.clients.delete(ws);
      this.metrics.consoleClients.set(this.clients.size);
    });
    // Browsers only listen; anything they send is ignored (maxPayload bounds it).
    ws.on('error', () => ws.terminate());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const ws of this.clients) ws.close(1001, 'server shutting down');
    this.subscriber.disconnect();
    this.reader.disconnect();
    // A read queued while Redis is down is never settled by disconnect(): wait for the loop only briefly.
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
  }

  private onPubSub(channel: string, message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    if (channel === this.keys.transcriptChannel()) this.push({ type: 'transcript', event: parsed as TranscriptEvent });
    else if (channel === this.keys.callsChannel()) this.push({ type: 'call', change: parsed as CallChange });
    else if (channel === this.voc.driversChannel()) this.push({ type: 'driver', event: parsed as DriverEvent });
    else if (channel === this.voc.spikesChannel()) this.push({ type: 'spike', event: parsed as SpikeChannelEvent });
    else if (channel === this.keys.consoleChannel() && 'ack' in parsed) this.push({ type: 'ack', ack: (parsed as { ack: AckState }).ack });
  }

  private async readAlerts(from: string): Promise<void> {
    let last = from;
    while (!this.stopped) {
      try {
        const result = await this.reader.xread('COUNT', XREAD_COUNT, 'BLOCK', XREAD_BLOCK_MS, 'STREAMS', this.keys.alertStream(), last);
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const json = fields[fields.indexOf('event') + 1];
            if (json === undefined) continue;
            try {
              this.push({ type: 'alert', entry: { streamId: id, event: JSON.parse(json) as AlertEvent | AlertWithdrawnEvent } });
            } catch {
              continue;
            }
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err }, 'console alert feed read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  private push(message: LiveMessage): void {
    if (this.clients.size === 0) return;
    if (this.batch.length >= MAX_BATCH_MESSAGES) {
      this.overflowed = true;
      return;
    }
    this.batch.push(message);
  }

  private flush(): void {
    if (this.overflowed) {
      // More arrived in one interval than a batch holds: every browser reloads from Redis instead.
      this.overflowed = false;
      this.batch = [];
      for (const ws of this.clients) ws.close(4000, 'resync');
      return;
    }
    if (this.batch.length === 0) return;
    const json = JSON.stringify(this.batch);
    this.batch = [];
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      // What is still unsent from earlier batches: a browser that keeps up has (almost) nothing here.
      if (ws.bufferedAmount > this.options.maxClientBufferedBytes) {
        this.metrics.consoleSlowClients.inc();
        this.log.warn({ bufferedBytes: ws.bufferedAmount }, 'console browser too slow; disconnected');
        ws.terminate();
        continue;
      }
      ws.send(json);
    }
  }
}
