import type { EngineMetrics } from './metrics.js';

/** Figures of one ingest protocol since the engine started. */
export interface ProtocolStats {
  protocol: string;
  activeCalls: number;
  callsStarted: number;
  callsEnded: number;
  audioReceivedSeconds: number;
}

export type CapacitySource = 'config' | 'probe' | 'default';

/** A snapshot of the engine for operators (vosk.stt.v1.StatsService): live state plus counters since start. */
export interface EngineStats {
  engineVersion: string;
  uptimeSeconds: number;
  accepting: boolean;
  activeCalls: number;
  callsStarted: number;
  callsEnded: number;
  protocols: ProtocolStats[];
  maxConcurrentCalls: number;
  capacitySource: CapacitySource;
  asrRealTimeFactor: number;
  asrWorkers: number;
  admissionRefusals: number;
  audioReceivedSeconds: number;
  audioDecodedSeconds: number;
  audioDroppedSeconds: number;
  asrQueueSeconds: number;
  asrBacklogSeconds: number;
  modelName: string;
  modelSampleRate: number;
}

/** Where the figures come from: the metrics, and state the metrics do not hold, read at each snapshot. */
export interface EngineStatsSources {
  metrics: EngineMetrics;
  calls: { readonly accepting: boolean; readonly capacity: number; readonly capacitySource: CapacitySource };
  asr: { modelName: string; sampleRate: number; workers: number; realTimeFactor: number | undefined; backlogSeconds: number };
  engineVersion: string;
  /** performance.now() when the service started. */
  startedAtMs: number;
}

/**
 * Crash recovery counts calls a dead predecessor left active on voc_calls_total with this reason:
 * they were never started here, so they are not ended here either.
 */
const RECOVERED_END_REASON = 'interrupted';

/**
 * Reads the engine's figures. Calls are counted from the same metrics /metrics exports: the active
 * gauge goes up when a call is admitted and down when it ends, as voc_calls_total goes up, so a
 * protocol's calls started since start are its active calls plus its ended ones.
 */
export async function readEngineStats(sources: EngineStatsSources, nowMs: number = performance.now()): Promise<EngineStats> {
  const { metrics, calls, asr } = sources;
  const [active, ended, received, decoded, dropped, queue, refusals] = await Promise.all([
    metrics.activeCalls.get(),
    metrics.callsTotal.get(),
    metrics.audioReceivedSeconds.get(),
    metrics.audioDecodedSeconds.get(),
    metrics.audioDroppedSeconds.get(),
    metrics.asrQueueDepthSeconds.get(),
    metrics.admissionRefusals.get(),
  ]);
  const byProtocol = new Map<string, ProtocolStats>();
  const of = (protocol: string | number | undefined): ProtocolStats => {
    const name = String(protocol ?? '');
    let stats = byProtocol.get(name);
    if (!stats) {
      stats = { protocol: name, activeCalls: 0, callsStarted: 0, callsEnded: 0, audioReceivedSeconds: 0 };
      byProtocol.set(name, stats);
    }
    return stats;
  };
  for (const v of active.values) of(v.labels.protocol).activeCalls += v.value;
  for (const v of ended.values) if (v.labels.end_reason !== RECOVERED_END_REASON) of(v.labels.protocol).callsEnded += v.value;
  for (const v of received.values) of(v.labels.protocol).audioReceivedSeconds += v.value;
  const protocols = [...byProtocol.values()].sort((a, b) => a.protocol.localeCompare(b.protocol));
  for (const p of protocols) p.callsStarted = p.activeCalls + p.callsEnded;
  const sum = (pick: (p: ProtocolStats) => number) => protocols.reduce((n, p) => n + pick(p), 0);
  const total = (metric: { values: Array<{ value: number }> }) => metric.values.reduce((n, v) => n + v.value, 0);

  return {
    engineVersion: sources.engineVersion,
    uptimeSeconds: Math.max(0, (nowMs - sources.startedAtMs) / 1000),
    accepting: calls.accepting,
    activeCalls: sum((p) => p.activeCalls),
    callsStarted: sum((p) => p.callsStarted),
    callsEnded: sum((p) => p.callsEnded),
    protocols,
    maxConcurrentCalls: calls.capacity,
    capacitySource: calls.capacitySource,
    asrRealTimeFactor: asr.realTimeFactor ?? 0,
    asrWorkers: asr.workers,
    admissionRefusals: total(refusals),
    audioReceivedSeconds: sum((p) => p.audioReceivedSeconds),
    audioDecodedSeconds: total(decoded),
    audioDroppedSeconds: total(dropped),
    asrQueueSeconds: total(queue),
    asrBacklogSeconds: asr.backlogSeconds,
    modelName: asr.modelName,
    modelSampleRate: asr.sampleRate,
  };
}
