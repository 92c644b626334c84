/**
 * Reason codes for rejecting client input. They appear in `error` events, in gRPC status details and
 * in the `voc_ingest_errors_total{reason}` metric, so keep them stable.
 */
export const INPUT_ERROR_CODES = [
  'bad_json',
  'bad_message',
  'unknown_message',
  'audio_before_start',
  'already_started',
  'bad_frame_size',
  'bad_sequence',
  'frame_too_large',
  'unsupported_encoding',
  'unsupported_sample_rate',
  'bad_start',
  'capacity',
  'unauthenticated',
  'draining',
  'timeout',
  'internal',
  // Text calls (input "text"):
  'unknown_party',
  'bad_timing',
  'text_too_large',
  'bad_utf8',
  'wrong_input',
] as const;
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** A fault of one client's input: close that call/session, never the process. */
export class CallInputError extends Error {
  constructor(
    readonly code: InputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CallInputError';
  }
}
