import { z } from 'zod';
import { analyticsOptionsSchema } from '../analytics/options.js';
import { compilePhrase } from '../analytics/text/match.js';
import { vocOptionsSchema } from '../analytics/voc/options.js';

/**
 * The whole process configuration: one validated schema, handed down as typed objects.
 * Durations are milliseconds (`...Ms`), sizes bytes (`...Bytes`), rates Hz.
 */

const port = z.number().int().min(0).max(65535);
const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);

/** PEM files for a TLS listener. */
export const tlsSchema = z
  .object({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    /** Set: clients must present a certificate signed by this CA (mutual TLS). */
    clientCaFile: z.string().min(1).optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    /**
     * Interface to listen on. Unset: 0.0.0.0 when auth.apiKeys are set, else 127.0.0.1 (an engine
     * without keys is reachable from this host only until a host is chosen explicitly).
     */
    host: z.string().min(1).optional(),
    /** HTTP port: WebSocket endpoints, /metrics, /healthz, /readyz. 0 picks a free port. */
    port: port.default(8080),
    /** Largest WebSocket message accepted (text or binary). */
    maxMessageBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
    /**
     * Names this instance: in each call's Redis hash (`instance`), and for crash recovery, where a
     * restart of the same instance marks the calls its dead predecessor left active as 'interrupted'.
     * Must stay the same across restarts of one instance and differ between instances (a StatefulSet
     * pod name, a systemd unit name). Default: the host name.
     */
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/, '1 to 128 letters, digits or . _ : @ -')
      .optional(),
    /**
     * An engine process renews a lease in Redis this often / 3; one whose lease has not been renewed
     * for this long is taken as dead, and a live process of the same instanceId recovers its calls.
     */
    instanceLeaseMs: z.number().int().min(1000).max(10 * 60_000).default(15_000),
    /** A client must send its start message within this time, and a call its first audio within this time of its start. */
    startTimeoutMs: z.number().int().min(100).default(10_000),
    /** A call that sends no audio for this long (not counting an AudioHook pause) is ended with reason 'timeout' and its summary. */
    idleTimeoutMs: z.number().int().min(100).default(60_000),
    /** Serve HTTPS/WSS on the HTTP port instead of plaintext. */
    tls: tlsSchema.optional(),
  })
  .strict();

export const grpcSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Like server.host: unset binds 0.0.0.0 with API keys, 127.0.0.1 without. */
    host: z.string().min(1).optional(),
    port: port.default(50051),
    keepaliveTimeMs: z.number().int().min(1000).default(30_000),
    keepaliveTimeoutMs: z.number().int().min(1000).default(10_000),
    maxMessageBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    /** Serve gRPC over TLS instead of plaintext h2c. */
    tls: tlsSchema.optional(),
  })
  .strict();

export const authSchema = z
  .object({
    /**
     * API keys accepted by every ingest and data endpoint, each by its protocol's convention (README
     * "Authentication"): `Authorization: Bearer` or `x-api-key` headers, `?token=` or a `voc-key.<key>`
     * subprotocol for media forks, a `token` custom parameter for Twilio, AudioHook `X-API-KEY`, gRPC metadata.
     * Empty: the engine is open (a warning is logged) and binds to 127.0.0.1 unless a host is set;
     * AudioHook still refuses every connection unless protocols.audiohook.requireApiKey is false.
     */
    apiKeys: z.array(z.string().min(8).max(1024)).default([]),
    /** /metrics needs a key too (Prometheus: `authorization` / bearer_token). */
    protectMetrics: z.boolean().default(false),
  })
  .strict();

export const consoleSchema = z
  .object({
    /** Serve the supervisor console at /console (authenticated with auth.apiKeys). */
    enabled: z.boolean().default(true),
    /** Lifetime of a console login (httpOnly session cookie, session kept in Redis). */
    sessionTtlMs: z.number().int().min(60_000).max(30 * 24 * 3600 * 1000).default(12 * 3600 * 1000),
    /** Live-feed connections served at once; more are refused (503). */
    maxClients: z.number().int().min(1).max(10_000).default(100),
    /** A browser whose unsent live-feed data exceeds this is disconnected (it reconnects and catches up from Redis). */
    maxClientBufferedBytes: z.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Live updates are sent to browsers in batches at this interval. */
    flushIntervalMs: z.number().int().min(10).max(1000).default(50),
    /** Most alerts one catch-up or initial load returns. */
    maxAlertsPerRead: z.number().int().min(10).max(10_000).default(500),
    /** Most calls the board lists (active, then recently ended). */
    maxBoardCalls: z.number().int().min(10).max(5000).default(500),
    /** Largest accepted request body (login, acknowledge). */
    maxBodyBytes: z.number().int().min(256).max(1024 * 1024).default(4096),
  })
  .strict();

export const spoolSchema = z
  .object({
    /** Directory of the summary spool (relative to the working directory); created when needed. */
    dir: z.string().min(1).default('spool'),
    maxFiles: z.number().int().min(1).max(1_000_000).default(10_000),
    maxBytes: z.number().int().min(64 * 1024).default(256 * 1024 * 1024),
  })
  .strict();

export const redisSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
    /** Prefix of every key and channel, so several deployments can share one Redis. */
    prefix: z.string().min(1).max(64).regex(/^[A-Za-z0-9:_.-]+$/, 'letters, digits and : _ . - only').default('voc'),
    /** Per-call keys expire this long after the call ends. */
    retentionMs: z.number().int().min(1000).default(7 * 24 * 3600 * 1000),
    /** Approximate cap (XADD MAXLEN ~) of the global alert stream. */
    alertStreamMaxLen: z.number().int().min(10).default(100_000),
    /** Ended calls kept in the `<prefix>:calls:recent` index (the console's list of recent calls). */
    recentCallsMax: z.number().int().min(1).max(100_000).default(1000),
    /** Cluster mode: connect with ioredis Cluster to these seed nodes instead of `url`. */
    cluster: z.boolean().default(false),
    /** Outgoing writes buffered while Redis is down before new ones are dropped (and counted). */
    maxPendingWrites: z.number().int().min(0).default(10_000),
    /** Readiness pings Redis this often; a PING unanswered for this long counts as Redis down. */
    healthIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /**
     * A write unanswered this long fails (counted, logged): while Redis is unreachable, writes wait
     * (up to maxPendingWrites) for this long for it to come back; a Redis that hangs with its socket
     * open cannot hold them forever.
     */
    commandTimeoutMs: z.number().int().min(100).default(60_000),
    /**
     * A call's end waits at most this long for its summary to be written before the summary is sent
     * to the client anyway (the write goes on in the background), so a slow Redis never holds calls.
     */
    summaryWaitMs: z.number().int().min(0).default(2000),
    /**
     * Summaries Redis did not confirm (a write that failed or timed out, or still pending at shutdown)
     * are kept here, one file each, and written to Redis at the next start (and whenever Redis comes
     * back). Bounded: beyond maxFiles or maxBytes a summary is not kept (logged and counted).
     */
    spool: spoolSchema.default(spoolSchema.parse({})),
  })
  .strict();

export const modelSchema = z
  .object({
    /** Directory of an unpacked Vosk model. */
    path: z.string().min(1).default('models/vosk-model-small-en-us-0.15'),
    /** Official model name, used by `voc model download` and first-start download. */
    name: z.string().min(1).optional(),
    /** Expected SHA-256 (hex) of the model archive; checked on download when set. */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters')
      .optional(),
    /** Download the model at first start when it is absent and `name` is an official model. */
    autoDownload: z.boolean().default(true),
    /** Archive URL for `name` (a mirror, for hosts that cannot reach the official site); default the official URL. */
    url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL').optional(),
  })
  .strict();

export const asrSchema = z
  .object({
    /** Decoder worker threads; 0 = one per CPU core. */
    workers: z.number().int().min(0).max(256).default(0),
    /**
     * Nice value of the decoder threads (Linux: per thread), 0-19. Above 0 the decoders yield the CPU
     * to the event loop (sockets, analytics, Redis) when the cores are saturated, so overload shows
     * as dropped audio rather than a lagging loop; on a host shared with other CPU-heavy work they
     * also yield to it. 0 = the same priority as the rest of the process.
     */
    workerNice: z.number().int().min(0).max(19).default(0),
    /** Per-party queue limit in ms of audio; beyond it new audio is dropped and counted. */
    maxQueueMs: z.number().int().min(100).default(10_000),
    /** Audio chunk handed to the recognizer, in ms (rechunked). */
    chunkMs: z.number().int().min(10).max(1000).default(100),
    /**
     * Call audio bound for an ASR worker waits up to this many ms to travel with other calls' audio
     * in one message (0: each event-loop turn's audio travels alone). Live frames arrive one at a time;
     * one message per frame per call cost both threads scheduler and kernel time. The recognizer takes
     * chunkMs chunks, so this adds next to nothing to latency while it stays well under chunkMs.
     */
    audioBatchMs: z.number().int().min(0).max(100).default(20),
    /** Emit partial results. */
    partials: z.boolean().default(true),
    /** Minimum interval between two partials of one party, in ms (0 = every chunk). */
    partialIntervalMs: z.number().int().min(0).default(200),
    /**
     * Word timings in partials (libvosk partial words). Lets keyword and category rules raise tentative
     * alerts before the utterance ends, but libvosk then holds partials back for the first ~2 s of an
     * utterance, so partial text arrives later. Off by default.
     */
    partialWords: z.boolean().default(false),
    /** libvosk log level (-1 silences it). */
    voskLogLevel: z.number().int().min(-1).max(5).default(-1),
    /**
     * At start, decode a built-in sample on every worker at once for at most this long to measure the
     * model's decoding cost; it sets the default limits.maxConcurrentCalls. 0 skips it (then 200).
     */
    capacityProbeMs: z.number().int().min(0).max(60_000).default(3000),
    /** Share of the measured decoding capacity that calls may use (the rest is margin for the event loop and bursts). */
    capacityHeadroom: z.number().min(0.1).max(1).default(0.75),
    /**
     * Rebalancing: when two workers' backlogs (decoding time of their queued audio) differ by this many
     * ms, a stream moves from the busier to the idler one (its recognizer is shared memory; its call's
     * audio processing stays and forwards). Evens out calls that end unevenly or split unevenly. 0 = off.
     */
    rebalanceGapMs: z.number().int().min(0).max(600_000).default(1000),
    /**
     * The smaller gap that suffices when every stream on the idler worker has ended (it is running out
     * of work for good: the end of a batch, or of its calls while the other worker is still behind).
     * 0 = rebalanceGapMs always.
     */
    rebalanceTailGapMs: z.number().int().min(0).max(600_000).default(250),
    /** Refuse a new call when the worker it would be pinned to needs more than this many ms to decode the audio it already holds. */
    admissionBacklogMs: z.number().int().min(100).default(2000),
    /** /readyz creates (and frees) a recognizer on every ASR worker; it is not ready when that fails or takes longer than this. */
    readyCheckTimeoutMs: z.number().int().min(100).max(60_000).default(2000),
    /** A readiness check's result is reused this long (probes every second would otherwise each make recognizers). */
    readyCheckCacheMs: z.number().int().min(0).max(600_000).default(5000),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Unset: what the start-up probe measured (asr.capacityProbeMs), else 200. */
    maxConcurrentCalls: z.number().int().min(1).optional(),
    /** Concurrent calls from one client address (0 = no separate limit). A media server carries many calls: size it for yours. */
    maxCallsPerIp: z.number().int().min(0).default(0),
    /** Concurrent calls per API key, i.e. per tenant (0 = no separate limit). */
    maxCallsPerKey: z.number().int().min(0).default(0),
    /** Calls longer than this are ended with reason 'timeout'. */
    maxCallDurationMs: z.number().int().min(1000).default(4 * 3600 * 1000),
    maxParties: z.number().int().min(1).max(8).default(2),
    allowedSampleRates: z.array(z.number().int().min(4000).max(48000)).default([8000, 16000]),
    /**
     * A sender clock jump (Twilio media timestamp, AudioHook discarded/resumed) longer than this ends the
     * call with an error naming it; shorter gaps are skipped on the call's timeline in constant time.
     */
    maxGapMs: z.number().int().min(1000).default(4 * 3600 * 1000),
    /**
     * A call's end waits at most this long for its recognizers' last results and its analytics; then
     * the summary is built from what is there (the stuck part is logged and counted), so a stuck
     * recognizer or detector cannot hold a call, its slot or the shutdown.
     */
    finishTimeoutMs: z.number().int().min(100).default(30_000),
    /** Client-supplied call metadata (start metadata, Twilio customParameters, fork metadata, AudioHook update). */
    metadata: z
      .object({
        maxDepth: z.number().int().min(1).max(64).default(8),
        maxEntries: z.number().int().min(1).default(256),
        maxStringChars: z.number().int().min(1).default(4096),
        maxBytes: z.number().int().min(64).default(32 * 1024),
      })
      .strict()
      .default({ maxDepth: 8, maxEntries: 256, maxStringChars: 4096, maxBytes: 32 * 1024 }),
    /** Text calls (input "text"): longest utterance text, in characters (UTF-16 code units). */
    maxUtteranceChars: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Text calls: most entries in one utterance's `words`. */
    maxUtteranceWords: z.number().int().min(1).max(100_000).default(2_000),
    /** Text calls: most utterances (partial and final) one call may send. */
    maxUtterancesPerCall: z.number().int().min(1).default(50_000),
  })
  .strict();

export const keywordCategorySchema = z
  .object({
    name: z.string().min(1),
    /** Single words or multi-word phrases; matched case-insensitively on whole words (substring for CJK). */
    phrases: z.array(
      z
        .string()
        .min(1)
        .superRefine((phrase, ctx) => {
          // Checked at start, so a phrase that can never match stops the start instead of every call.
          try {
            compilePhrase(phrase);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
          }
        }),
    ).min(1),
    /** Only this party's speech counts; omitted = any party. */
    party: z.string().min(1).optional(),
    severity: severity.default('medium'),
    /** Publish an alert; false = tag only. */
    alert: z.boolean().default(true),
    tags: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const loggingSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const metricsSchema = z
  .object({
    /**
     * How often the event-loop delay (voc_nodejs_eventloop_lag_*_seconds) is probed, ms. Each probe
     * wakes the main thread; 1 ms cost about 3 % of decoding throughput on a saturated 2-core host.
     */
    eventLoopSampleMs: z.number().int().min(1).max(1000).default(20),
  })
  .strict();

export const shutdownSchema = z
  .object({
    /** On SIGTERM, active calls may finish for this long before they are cut short. */
    drainTimeoutMs: z.number().int().min(0).default(30_000),
    /** Then pending Redis writes get this long to finish before the process exits. */
    flushTimeoutMs: z.number().int().min(0).default(10_000),
  })
  .strict();

export const protocolsSchema = z
  .object({
    twilio: z
      .object({
        inboundParty: z.string().default('customer'),
        outboundParty: z.string().default('agent'),
        /** Twilio account auth token: set, every connection must carry a valid X-Twilio-Signature (API keys are then not needed). */
        authToken: z.string().min(1).optional(),
        /** The public wss:// URL Twilio connects to, when a proxy changes scheme or host (the signature covers it). */
        publicUrl: z.string().regex(/^(wss?|https?):\/\//, 'must be a ws(s):// or http(s):// URL').optional(),
      })
      .strict()
      .default({ inboundParty: 'customer', outboundParty: 'agent' }),
    audiohook: z
      .object({
        /** Refuse connections whose X-API-KEY is not in auth.apiKeys (with no keys configured, all are refused). */
        requireApiKey: z.boolean().default(true),
        /** Party of the `external` channel (the customer side of the conversation). */
        externalParty: z.string().default('customer'),
        /** Party of the `internal` channel (the agent / IVR side). */
        internalParty: z.string().default('agent'),
      })
      .strict()
      .default({ requireApiKey: true, externalParty: 'customer', internalParty: 'agent' }),
    vosk: z
      .object({
        /** Party name for mono vosk-server clients. */
        party: z.string().default('customer'),
        language: z.string().default('en'),
      })
      .strict()
      .default({ party: 'customer', language: 'en' }),
    fork: z
      .object({
        /** Parties for stereo L16 (channel 0, channel 1); mono/mixed audio uses the first. */
        parties: z.array(z.string()).min(1).max(2).default(['customer', 'agent']),
        sampleRate: z.number().int().default(8000),
      })
      .strict()
      .default({ parties: ['customer', 'agent'], sampleRate: 8000 }),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    grpc: grpcSchema.default(grpcSchema.parse({})),
    auth: authSchema.default(authSchema.parse({})),
    redis: redisSchema.default(redisSchema.parse({})),
    model: modelSchema.default(modelSchema.parse({})),
    asr: asrSchema.default(asrSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
    keywords: z.array(keywordCategorySchema).default([]),
    analytics: analyticsOptionsSchema.default(analyticsOptionsSchema.parse({})),
    logging: loggingSchema.default(loggingSchema.parse({})),
    metrics: metricsSchema.default(metricsSchema.parse({})),
    shutdown: shutdownSchema.default(shutdownSchema.parse({})),
    protocols: protocolsSchema.default(protocolsSchema.parse({})),
    /** Voice of the Customer across calls: driver counts, spikes, department streams (docs/voc.md). */
    voc: vocOptionsSchema.default(vocOptionsSchema.parse({})),
    console: consoleSchema.default(consoleSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type KeywordCategory = z.infer<typeof keywordCategorySchema>;
export type RedisOptions = z.infer<typeof redisSchema>;
export type AsrOptions = z.infer<typeof asrSchema>;
export type ServerOptions = z.infer<typeof serverSchema>;
export type TlsOptions = z.infer<typeof tlsSchema>;
export type GrpcOptions = z.infer<typeof grpcSchema>;
export type LimitsOptions = z.infer<typeof limitsSchema>;
export type ProtocolsOptions = z.infer<typeof protocolsSchema>;
export type ConsoleOptions = z.infer<typeof consoleSchema>;
