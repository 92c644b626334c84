import type { WebSocket } from 'ws';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { RedisKeys } from '../publish/keys.js';
import { VocKeys } from '../publish/voc-keys.js';
import type { RedisClient } from '../publish/redis-connection.js';
import { CALL_ID_PATTERN } from '../publish/keys.js';
import { within } from '../within.js';
import type { AckState, LiveMessage, WatchRequest } from './wire.js';

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
 * What each browser gets: every alert, call change, ack, driver and spike (the board and the alert
 * feed need them all), and the transcript lines of the one call it watches (sent as a WatchRequest
 * when it opens a call). Transcripts are most of the traffic (4 lines per alert in a busy contact
 * centre) and no other view shows them, so a browser on the board receives none.
 *
 * Cost: every message is serialized once, when it arrives (alerts and transcripts reuse the JSON
 * that Redis delivered, after checking it parses to an event); a flush joins them once into the
 * batch shared by all browsers, plus once per watched call that had lines, whatever the number of
 * browsers.
 *
 * Backpressure: messages are batched every flushIntervalMs. A browser whose socket still holds more
 * than maxClientBufferedBytes unsent when the next batch is due (so at most that plus one batch is
 * held per browser) is disconnected instead of buffering without bound; it reconnects and catches
 * up from the streams. Nothing here waits on a browser, so a slow one never holds the engine back.
 */
/** How long stop() waits for the alert reader to return. */
const STOP_WAIT_MS = 1000;

export class LiveFeed {
  /** Each browser and the call it watches. */
  private readonly clients = new Map<WebSocket, string | undefined>();
  /** How many browsers watch each call. */
  private readonly watched = new Map<string, number>();
  /** The batch for every browser: each message already serialized. */
  private shared: string[] = [];
  /** Transcript lines per watched call, serialized. */
  private transcripts = new Map<string, string[]>();
  private batchSize = 0;
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
    this.clients.set(ws, undefined);
    this.metrics.consoleClients.set(this.clients.size);
    ws.on('close', () => {
      this.watch(ws, undefined);
      this.clients.delete(ws);
      this.metrics.consoleClients.set(this.clients.size);
    });
    // Browsers send only WatchRequests (maxPayload bounds them); anything else is ignored.
    ws.on('message', (data, isBinary) => {
      if (isBinary || !this.clients.has(ws)) return;
      const request = parseWatch(String(data));
      if (request) this.watch(ws, request.callId);
    });
    ws.on('error', () => ws.terminate());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const ws of this.clients.keys()) ws.close(1001, 'server shutting down');
    this.subscriber.disconnect();
    this.reader.disconnect();
    // A read queued while Redis is down is never settled by disconnect(): wait for the loop only briefly.
    await within(this.loop, STOP_WAIT_MS);
  }

  private watch(ws: WebSocket, callId: string | undefined): void {
    const before = this.clients.get(ws);
    if (before === callId) return;
    if (before !== undefined) {
      const n = (this.watched.get(before) ?? 1) - 1;
      if (n > 0) this.watched.set(before, n);
      else this.watched.delete(before);
    }
    if (callId !== undefined) this.watched.set(callId, (this.watched.get(callId) ?? 0) + 1);
    this.clients.set(ws, callId);
  }

  private onPubSub(channel: string, message: string): void {
    if (this.clients.size === 0) return;
    // Most of the traffic: skipped unparsed while no browser has a call open.
    if (channel === this.keys.transcriptChannel() && this.watched.size === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    if (channel === this.keys.transcriptChannel()) {
      const { callId } = parsed as { callId?: unknown };
      if (typeof callId === 'string' && this.watched.has(callId)) this.pushTranscript(callId, `{"type":"transcript","event":${message}}`);
    } else if (channel === this.keys.callsChannel()) this.push(`{"type":"call","change":${message}}`);
    else if (channel === this.voc.driversChannel()) this.push(`{"type":"driver","event":${message}}`);
    else if (channel === this.voc.spikesChannel()) this.push(`{"type":"spike","event":${message}}`);
    else if (channel === this.keys.consoleChannel() && 'ack' in parsed) this.push(JSON.stringify({ type: 'ack', ack: (parsed as { ack: AckState }).ack } satisfies LiveMessage));
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
            if (json === undefined || this.clients.size === 0 || !isEvent(json)) continue;
            this.push(`{"type":"alert","entry":{"streamId":${JSON.stringify(id)},"event":${json}}}`);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err }, 'console alert feed read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  private push(message: string): void {
    if (this.batchFull()) return;
    this.shared.push(message);
  }

  private pushTranscript(callId: string, message: string): void {
    if (this.batchFull()) return;
    const lines = this.transcripts.get(callId);
    if (lines) lines.push(message);
    else this.transcripts.set(callId, [message]);
  }

  /** Counts one more message into the batch; true (and the batch marked overflowed) when it is full. */
  private batchFull(): boolean {
    if (this.batchSize >= MAX_BATCH_MESSAGES) {
      this.overflowed = true;
      return true;
    }
    this.batchSize++;
    return false;
  }

  private flush(): void {
    const { shared, transcripts, overflowed } = this;
    this.shared = [];
    this.transcripts = new Map();
    this.batchSize = 0;
    this.overflowed = false;
    if (overflowed) {
      // More arrived in one interval than a batch holds: every browser reloads from Redis instead.
      for (const ws of this.clients.keys()) ws.close(4000, 'resync');
      return;
    }
    if (shared.length === 0 && transcripts.size === 0) return;
    const common = shared.join(',');
    const everyone = `[${common}]`;
    /** The batch of each watched call that had lines (built once, whatever the number of its browsers). */
    const perCall = new Map<string, string>();
    for (const [ws, callId] of this.clients) {
      const lines = callId === undefined ? undefined : transcripts.get(callId);
      if (!lines && shared.length === 0) continue;
      if (ws.readyState !== ws.OPEN) continue;
      // What is still unsent from earlier batches: a browser that keeps up has (almost) nothing here.
      if (ws.bufferedAmount > this.options.maxClientBufferedBytes) {
        this.metrics.consoleSlowClients.inc();
        this.log.warn({ bufferedBytes: ws.bufferedAmount }, 'console browser too slow; disconnected');
        ws.terminate();
        continue;
      }
      let json = lines ? perCall.get(callId!) : everyone;
      if (json === undefined) {
        json = `[${common}${common && ','}${lines!.join(',')}]`;
        perCall.set(callId!, json);
      }
      ws.send(json);
    }
  }
}

/** A browser's watch request, or undefined for anything else. */
export function parseWatch(text: string): WatchRequest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { type?: unknown }).type !== 'watch') return undefined;
  const { callId } = parsed as { callId?: unknown };
  if (callId === undefined || callId === null) return { type: 'watch' };
  return typeof callId === 'string' && CALL_ID_PATTERN.test(callId) ? { type: 'watch', callId } : undefined;
}

/** The JSON of an alert stream entry parses to an event object (it is forwarded as it is). */
function isEvent(json: string): boolean {
  try {
    const event = JSON.parse(json) as unknown;
    return typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string' && typeof (event as { callId?: unknown }).callId === 'string';
  } catch {
    return false;
  }
}
