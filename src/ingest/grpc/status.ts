import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CallInputError, type InputErrorCode } from '../../session/errors.js';

/** Trailing metadata key carrying the engine's stable reason code next to the gRPC status. */
export const ERROR_CODE_METADATA_KEY = 'voc-error-code';

/**
 * The one table from the engine's input-error reasons to gRPC status codes. A Record over every
 * code, so adding a reason in src/session/errors.ts fails to compile until it is mapped here.
 */
export const GRPC_STATUS_FOR: Record<InputErrorCode, status> = {
  bad_json: status.INVALID_ARGUMENT,
  bad_message: status.INVALID_ARGUMENT,
  unknown_message: status.INVALID_ARGUMENT,
  audio_before_start: status.INVALID_ARGUMENT,
  already_started: status.INVALID_ARGUMENT,
  bad_frame_size: status.INVALID_ARGUMENT,
  bad_sequence: status.INVALID_ARGUMENT,
  unsupported_encoding: status.INVALID_ARGUMENT,
  unsupported_sample_rate: status.INVALID_ARGUMENT,
  bad_start: status.INVALID_ARGUMENT,
  // grpc-js itself answers oversize messages with RESOURCE_EXHAUSTED; keep the same meaning.
  frame_too_large: status.RESOURCE_EXHAUSTED,
  capacity: status.RESOURCE_EXHAUSTED,
  unauthenticated: status.UNAUTHENTICATED,
  // UNAVAILABLE tells gRPC clients (and their retry policies) to try another instance.
  draining: status.UNAVAILABLE,
  timeout: status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
  unknown_party: status.INVALID_ARGUMENT,
  bad_timing: status.INVALID_ARGUMENT,
  text_too_large: status.INVALID_ARGUMENT,
  bad_utf8: status.INVALID_ARGUMENT,
  wrong_input: status.INVALID_ARGUMENT,
};

/** Any fault as a CallInputError: unknown exceptions become 'internal' (details hidden from the client). */
export function asInputError(err: unknown): CallInputError {
  return err instanceof CallInputError ? err : new CallInputError('internal', 'internal error');
}

/** The status a stream ends with for an input error: code, readable details, reason in trailers. */
export function statusFor(error: CallInputError): Partial<ServiceError> & { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, error.code);
  return { code: GRPC_STATUS_FOR[error.code], details: `${error.code}: ${error.message}`, metadata };
}
