import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EngineStats } from '../../metrics/engine-stats.js';
import { CallInputError } from '../../session/errors.js';
import type { IngestContext } from '../adapter.js';
import type { ApiKeyCheck } from './auth.js';
import { asInputError, statusFor } from './status.js';
import { VOSK_GRPC_PROTOCOL } from './vosk-service.js';

/** A fresh snapshot of the engine's figures, read at each request. */
export type StatsSource = () => Promise<EngineStats>;

/** vosk.stt.v1.StatsResponse as proto-loader encodes it (LOADER_OPTIONS: field names as written). */
export interface StatsResponseMessage {
  engine_version: string;
  uptime_seconds: number;
  accepting: boolean;
  active_calls: number;
  calls_started: number;
  calls_ended: number;
  protocols: Array<{ protocol: string; active_calls: number; calls_started: number; calls_ended: number; audio_received_seconds: number }>;
  max_concurrent_calls: number;
  capacity_source: string;
  asr_real_time_factor: number;
  asr_workers: number;
  admission_refusals: number;
  audio_received_seconds: number;
  audio_decoded_seconds: number;
  audio_dropped_seconds: number;
  asr_queue_seconds: number;
  asr_backlog_seconds: number;
  model_name: string;
  model_sample_rate: number;
}

export function statsResponse(s: EngineStats): StatsResponseMessage {
  return {
    engine_version: s.engineVersion,
    uptime_seconds: s.uptimeSeconds,
    accepting: s.accepting,
    active_calls: s.activeCalls,
    calls_started: s.callsStarted,
    calls_ended: s.callsEnded,
    protocols: s.protocols.map((p) => ({
      protocol: p.protocol,
      active_calls: p.activeCalls,
      calls_started: p.callsStarted,
      calls_ended: p.callsEnded,
      audio_received_seconds: p.audioReceivedSeconds,
    })),
    max_concurrent_calls: s.maxConcurrentCalls,
    capacity_source: s.capacitySource,
    asr_real_time_factor: s.asrRealTimeFactor,
    asr_workers: s.asrWorkers,
    admission_refusals: s.admissionRefusals,
    audio_received_seconds: s.audioReceivedSeconds,
    audio_decoded_seconds: s.audioDecodedSeconds,
    audio_dropped_seconds: s.audioDroppedSeconds,
    asr_queue_seconds: s.asrQueueSeconds,
    asr_backlog_seconds: s.asrBacklogSeconds,
    model_name: s.modelName,
    model_sample_rate: s.modelSampleRate,
  };
}

/**
 * vosk.stt.v1.StatsService/GetStats (protos/vosk/stt/v1/stats_service.proto): the engine's figures
 * for clients of the vosk-server API. Authenticated like SttService; its refusals are counted under
 * that protocol. The request (google.protobuf.Empty) carries nothing to read; bytes that do not
 * decode are refused by grpc-js before this handler runs.
 */
export function statsServiceImplementation(ctx: IngestContext, auth: ApiKeyCheck, stats: StatsSource): UntypedServiceImplementation {
  const refuse = (callback: sendUnaryData<StatsResponseMessage>, err: unknown): void => {
    const error = asInputError(err);
    if (!(err instanceof CallInputError)) ctx.log.error({ err, protocol: VOSK_GRPC_PROTOCOL }, 'unexpected error in grpc GetStats');
    ctx.metrics.ingestErrors.inc({ protocol: VOSK_GRPC_PROTOCOL, reason: error.code });
    callback(statusFor(error), null);
  };
  return {
    GetStats: (call: ServerUnaryCall<unknown, StatsResponseMessage>, callback: sendUnaryData<StatsResponseMessage>) => {
      if (!auth.allows(call.metadata)) {
        refuse(callback, new CallInputError('unauthenticated', 'missing or unknown API key: send metadata x-api-key or authorization: Bearer <key>'));
        return;
      }
      stats().then(
        (snapshot) => callback(null, statsResponse(snapshot)),
        (err: unknown) => refuse(callback, err),
      );
    },
  };
}
