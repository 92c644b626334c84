import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { bindSocket, closeReason, countInputError } from '../ws-socket.js';
import { authorizeAudioHook } from './auth.js';
import { isUuid } from './messages.js';
import { AudioHookSession, PROTOCOL, type AudioHookHeaders } from './session.js';

/**
 * `/v1/audiohook`: Genesys Cloud AudioHook Monitor (protocol version 2). The API key is checked on
 * the upgrade request (401 when wrong); see docs/protocols/audiohook.md.
 */
export const audiohookAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/audiohook',
  authorize(req: IncomingMessage, ctx: IngestContext): number | undefined {
    return authorizeAudioHook(req, ctx.config);
  },
  attach(socket: WebSocket, req: IncomingMessage, ctx: IngestContext): void {
    const headers = readHeaders(req);
    if (!headers) {
      // Without a session id no AudioHook message can even be addressed; refuse like the reference server.
      countInputError(ctx, PROTOCOL, 'bad_message');
      ctx.log.warn({ protocol: PROTOCOL }, 'missing or invalid Audiohook-Session-Id / Audiohook-Organization-Id header');
      socket.close(1008, closeReason('missing or invalid Audiohook-Session-Id or Audiohook-Organization-Id header'));
      return;
    }
    const session = new AudioHookSession(socket, ctx, headers);
    bindSocket(socket, PROTOCOL, ctx, {
      onText: (text) => session.onText(text),
      onBinary: (bytes) => session.onBinary(bytes),
      onFault: (err) => session.fail(err),
      onClose: () => session.onSocketClose(),
    });
  },
};

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readHeaders(req: IncomingMessage): AudioHookHeaders | undefined {
  const sessionId = header(req, 'audiohook-session-id');
  const organizationId = header(req, 'audiohook-organization-id');
  if (!isUuid(sessionId) || !isUuid(organizationId)) return undefined;
  const correlationId = header(req, 'audiohook-correlation-id');
  return { sessionId, organizationId, correlationId: isUuid(correlationId) ? correlationId : undefined };
}
