import { WebSocket } from 'ws';
import { EVENT_SCHEMA_VERSION, type ErrorEvent } from '../events/schema.js';
import type { InputErrorCode } from '../session/errors.js';

/** Above this many unsent bytes a client is too slow: droppable messages (partials) are skipped. */
export const SLOW_CLIENT_BUFFER_BYTES = 1024 * 1024;

export function sendJson(socket: WebSocket, message: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

export function errorEvent(code: InputErrorCode, message: string, callId?: string): ErrorEvent {
  return { type: 'error', v: EVENT_SCHEMA_VERSION, code, message, ...(callId ? { callId } : {}) };
}

/** WebSocket close code for an input error: 1013 "try again later" for load, 1008 policy violation otherwise. */
export function closeCodeFor(code: InputErrorCode): number {
  if (code === 'capacity' || code === 'draining') return 1013;
  if (code === 'frame_too_large') return 1009;
  if (code === 'internal') return 1011;
  return 1008;
}
