import type { RawData, WebSocket } from 'ws';
import type { ZodError } from 'zod';
import { CallInputError, type InputErrorCode } from '../session/errors.js';
import type { IngestContext } from './adapter.js';

/** ws delivers a Buffer, an ArrayBuffer or fragments; adapters want one Buffer. */
export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Sends a text frame if the socket is still open (a closed socket is not an error: the peer left). */
export function sendText(socket: WebSocket, text: string): void {
  if (socket.readyState === socket.OPEN) socket.send(text);
}

export interface SocketHandlers {
  onText(text: string): void;
  onBinary(bytes: Buffer): void;
  /** A handler threw: the adapter applies its protocol's error behaviour to this socket only. */
  onFault(err: unknown): void;
  /** The socket closed (either side), with the WebSocket close code. */
  onClose(code: number): void;
}

/**
 * Wires one accepted socket to a protocol session with per-socket fault isolation: nothing thrown by
 * a handler escapes to the process, and transport errors (oversize frames, protocol violations,
 * which ws reports and then closes the socket for) are counted for `protocol`.
 */
export function bindSocket(socket: WebSocket, protocol: string, ctx: IngestContext, handlers: SocketHandlers): void {
  socket.on('message', (data, isBinary) => {
    try {
      if (isBinary) handlers.onBinary(toBuffer(data));
      else handlers.onText(toBuffer(data).toString('utf8'));
    } catch (err) {
      try {
        handlers.onFault(err);
      } catch (inner) {
        ctx.log.error({ err: inner, protocol }, 'error handler failed; closing socket');
        socket.terminate();
      }
    }
  });
  socket.on('close', (code) => {
    try {
      handlers.onClose(code);
    } catch (err) {
      ctx.log.error({ err, protocol }, 'close handler failed');
    }
  });
  socket.on('error', (err) => {
    const reason: InputErrorCode = /max payload/i.test(err.message) ? 'frame_too_large' : 'bad_message';
    countInputError(ctx, protocol, reason);
    ctx.log.warn({ protocol, reason, err: err.message }, 'websocket error');
  });
}

export function countInputError(ctx: IngestContext, protocol: string, reason: InputErrorCode): void {
  ctx.metrics.ingestErrors.inc({ protocol, reason });
}

/**
 * The common first half of every adapter's fault handling: any error becomes a CallInputError
 * (unexpected ones are 'internal' and logged with their stack), counted by protocol and reason, and
 * logged; the adapter then answers in its own protocol's way.
 */
export function recordInputFault(ctx: IngestContext, protocol: string, err: unknown, fields: { callId?: string | undefined; sessionId?: string }): CallInputError {
  const error = err instanceof CallInputError ? err : new CallInputError('internal', 'internal error');
  if (!(err instanceof CallInputError)) ctx.log.error({ err, protocol, ...fields }, 'unexpected error in ingest handler');
  countInputError(ctx, protocol, error.code);
  ctx.log.warn({ protocol, ...fields, reason: error.code, detail: error.message }, 'client input rejected');
  return error;
}

/** Layer "parse" of every JSON protocol: text -> unknown JSON value, or CallInputError('bad_json'). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CallInputError('bad_json', 'text frame is not valid JSON');
  }
}

/** First zod issue as "field: message", for error replies that tell the client what to fix. */
export function describeIssue(error: ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid' };
}

/** A WebSocket close reason: RFC 6455 allows at most 123 bytes of UTF-8 (ws throws beyond that). */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
