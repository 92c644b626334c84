import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { bindSocket } from '../ws-socket.js';
import { PROTOCOL, VoskStream } from './session.js';

/** `/v1/vosk`: drop-in for vosk-server's WebSocket API (clients only change the URL); see docs/protocols/vosk.md. */
export const voskAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/vosk',
  attach(socket: WebSocket, _req: IncomingMessage, ctx: IngestContext): void {
    const stream = new VoskStream(socket, ctx);
    bindSocket(socket, PROTOCOL, ctx, {
      onText: (text) => stream.onText(text),
      onBinary: (bytes) => stream.onBinary(bytes),
      onFault: (err) => stream.fail(err),
      onClose: () => stream.onClose(),
    });
  },
};
