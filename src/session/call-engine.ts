import type { CallAnalytics } from '../analytics/types.js';
import type { AsrEngine } from '../asr/types.js';
import type { ModelInfo } from '../asr/model-info.js';
import type { Config } from '../config/schema.js';
import { callLogger, type Logger } from '../log/logger.js';
import type { CapacitySource } from '../metrics/engine-stats.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { CALL_ID_PATTERN } from '../publish/keys.js';
import type { CallPublisher } from '../publish/redis-publisher.js';
import { LiveCallSession, type CallRedactor } from './call-session.js';
import { CallInputError } from './errors.js';
import { checkMetadata } from './metadata-limits.js';
import type { CallOpener, CallSession, CallStart } from './types.js';
import { AUDIO_ENCODINGS } from '../audio/format.js';

/** limits.maxConcurrentCalls when neither the config nor a capacity probe says otherwise. */
export const DEFAULT_CAPACITY = 200;

export interface CallEngineDeps {
  config: Config;
  asr: AsrEngine;
  publisher: CallPublisher;
  metrics: EngineMetrics;
  log: Logger;
  /** Builds the analytics of one call from the rules in force when it starts. */
  analyticsForCall: (start: CallStart) => CallAnalytics;
  /** A fresh redactor per call (it keeps state across utterances). */
  redactorForCall: (start: CallStart) => CallRedactor;
  /** Wall clock of the calls' startedAt/endedAt (and so of the cross-call buckets); injectable for simulations. */
  now?: () => Date;
  /** What the model says about itself (voc-model.json): a test model is checked against each call's audio. */
  modelInfo?: ModelInfo | undefined;
}

/**
 * The registry of live calls on this instance: admission (validation, capacity), call
 * duration limit, and draining for shutdown. Ingest adapters only see it as a CallOpener.
 */
export class CallEngine implements CallOpener {
  private readonly calls = new Set<LiveCallSession>();
  /** Live calls per client address and per API key id (CallStart.source). */
  private readonly perIp = new Map<string, number>();
  private readonly perKey = new Map<string, number>();
  private draining = false;

  constructor(private readonly deps: CallEngineDeps) {
    deps.metrics.capacityCalls.set(this.capacity);
  }

  get accepting(): boolean {
    return !this.draining;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  openCall(start: CallStart): CallSession {
    const { limits } = this.deps.config;
    if (this.draining) throw new CallInputError('draining', 'the engine is shutting down and accepts no new calls');
    validateStart(start, limits.allowedSampleRates, limits.maxParties);
    checkMetadata(start.metadata, limits.metadata);
    // A callId already in use (live or ended, here or elsewhere) is not refused: the call gets its own
    // record and the earlier one is kept (publish/keys.ts). Refusing would tell a stranger which ids are live.
    this.admit(start.input === 'text');
    const { ip, keyId } = start.source ?? {};
    if (limits.maxCallsPerIp > 0 && ip !== undefined && (this.perIp.get(ip) ?? 0) >= limits.maxCallsPerIp) {
      this.deps.metrics.admissionRefusals.inc({ reason: 'per_ip' });
      throw new CallInputError('capacity', `too many concurrent calls from this address: ${limits.maxCallsPerIp} (limits.maxCallsPerIp)`);
    }
    if (limits.maxCallsPerKey > 0 && keyId !== undefined && (this.perKey.get(keyId) ?? 0) >= limits.maxCallsPerKey) {
      this.deps.metrics.admissionRefusals.inc({ reason: 'per_key' });
      throw new CallInputError('capacity', `too many concurrent calls for this API key: ${limits.maxCallsPerKey} (limits.maxCallsPerKey)`);
    }

    const log = callLogger(this.deps.log, start.callId, start.protocol);
    let timer: NodeJS.Timeout | undefined;
    const session = new LiveCallSession(start, {
      summaryWaitMs: this.deps.config.redis.summaryWaitMs,
      metadataLimits: limits.metadata,
      firstAudioTimeoutMs: this.deps.config.server.startTimeoutMs,
      idleTimeoutMs: this.deps.config.server.idleTimeoutMs,
      finishTimeoutMs: limits.finishTimeoutMs,
      textLimits: {
        maxUtteranceChars: limits.maxUtteranceChars,
        maxUtteranceWords: limits.maxUtteranceWords,
        maxUtterancesPerCall: limits.maxUtterancesPerCall,
        maxCallDurationMs: limits.maxCallDurationMs,
      },
      asr: this.deps.asr,
      analytics: this.deps.analyticsForCall(start),
      publisher: this.deps.publisher,
      metrics: this.deps.metrics,
      log,
      redact: this.deps.redactorForCall(start),
      modelInfo: this.deps.modelInfo,
      ...(this.deps.now ? { now: this.deps.now } : {}),
      onEnded: (summary) => {
        clearTimeout(timer);
        this.calls.delete(session);
        release(this.perIp, ip);
        release(this.perKey, keyId);
        this.deps.metrics.activeCalls.dec({ protocol: start.protocol });
        this.deps.metrics.callsTotal.inc({ protocol: start.protocol, end_reason: summary.endReason });
        log.info({ endReason: summary.endReason, durationMs: summary.durationMs, alerts: summary.alertCount }, 'call ended');
      },
    });
    // Armed only once the session exists: a constructor that throws must leave nothing behind.
    timer = setTimeout(() => void session.stop('timeout'), limits.maxCallDurationMs);
    timer.unref();
    this.calls.add(session);
    take(this.perIp, ip);
    take(this.perKey, keyId);
    this.deps.metrics.activeCalls.inc({ protocol: start.protocol });
    log.info(
      start.input === 'text' ? { parties: start.parties, input: 'text' } : { parties: start.parties, encoding: start.format.encoding, sampleRate: start.format.sampleRate },
      'call started',
    );
    return session;
  }

  /** Concurrent calls admitted: limits.maxConcurrentCalls, else what the ASR engine measured, else 200. */
  get capacity(): number {
    return this.deps.config.limits.maxConcurrentCalls ?? this.deps.asr.capacityCalls ?? DEFAULT_CAPACITY;
  }

  /** Which of the three `capacity` comes from. */
  get capacitySource(): CapacitySource {
    if (this.deps.config.limits.maxConcurrentCalls !== undefined) return 'config';
    return this.deps.asr.capacityCalls !== undefined ? 'probe' : 'default';
  }

  /** Throws CallInputError('capacity') at capacity, or (audio calls) while the recognizers are behind real time. */
  private admit(textOnly: boolean): void {
    const { metrics } = this.deps;
    if (this.calls.size >= this.capacity) {
      metrics.admissionRefusals.inc({ reason: 'capacity' });
      const source = this.deps.config.limits.maxConcurrentCalls !== undefined ? 'limits.maxConcurrentCalls' : 'measured at start; set limits.maxConcurrentCalls to override';
      throw new CallInputError('capacity', `at capacity: ${this.capacity} concurrent calls (${source})`);
    }
    if (textOnly) return; // no recognizer: the ASR workers' backlog does not concern it
    const backlogMs = this.deps.asr.admissionBacklogMs ?? 0;
    if (backlogMs > this.deps.config.asr.admissionBacklogMs) {
      metrics.admissionRefusals.inc({ reason: 'asr_backlog' });
      throw new CallInputError('capacity', `at capacity: the recognizers are ${Math.round(backlogMs)} ms behind real time (asr.admissionBacklogMs)`);
    }
  }

  /** Stop admitting calls (readiness goes false); active calls continue. */
  startDraining(): void {
    this.draining = true;
  }

  /** Waits for active calls to end by themselves until the deadline, then ends the rest as cut short. */
  async drain(deadlineMs: number): Promise<{ finished: number; cutShort: number }> {
    this.startDraining();
    const initial = this.calls.size;
    const deadline = Date.now() + deadlineMs;
    while (this.calls.size > 0 && Date.now() < deadline) await delay(Math.min(100, deadline - Date.now()));
    const remaining = [...this.calls];
    await Promise.allSettled(remaining.map((s) => s.stop('shutdown')));
    return { finished: initial - remaining.length, cutShort: remaining.length };
  }
}

function validateStart(start: CallStart, allowedRates: readonly number[], maxParties: number): void {
  if (!CALL_ID_PATTERN.test(start.callId))
    throw new CallInputError('bad_start', `callId must match ${CALL_ID_PATTERN.source} (got ${JSON.stringify(start.callId)})`);
  if (start.input === 'text') {
    // No audio: only the parties matter.
    if (start.parties.length < 1 || start.parties.length > maxParties)
      throw new CallInputError('bad_start', `a text call names 1..${maxParties} parties (got ${start.parties.length})`);
  } else validateAudioFormat(start, allowedRates, maxParties);
  if (new Set(start.parties).size !== start.parties.length) throw new CallInputError('bad_start', 'party names must be distinct');
}

function validateAudioFormat(start: CallStart, allowedRates: readonly number[], maxParties: number): void {
  if (!(AUDIO_ENCODINGS as readonly string[]).includes(start.format.encoding))
    throw new CallInputError('unsupported_encoding', `encoding must be one of ${AUDIO_ENCODINGS.join(', ')}`);
  if (!allowedRates.includes(start.format.sampleRate))
    throw new CallInputError('unsupported_sample_rate', `sampleRate ${start.format.sampleRate} not allowed; allowed: ${allowedRates.join(', ')}`);
  const { channels } = start.format;
  if (!Number.isInteger(channels) || channels < 1 || channels > maxParties)
    throw new CallInputError('bad_start', `channels must be 1..${maxParties} (got ${channels})`);
  if (start.parties.length !== channels)
    throw new CallInputError('bad_start', `parties must name each of the ${channels} channel(s) (got ${start.parties.length})`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function take(counts: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
}

function release(counts: Map<string, number>, key: string | undefined): void {
  if (key === undefined) return;
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
