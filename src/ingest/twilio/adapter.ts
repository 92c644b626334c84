import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { bindSocket } from '../ws-socket.js';
import { PROTOCOL, TwilioStream } from './session.js';

/**
 * `/v1/twilio`: Twilio Media Streams (`<Start><Stream>` unidirectional or `<Connect><Stream>`
 * bidirectional). Twilio authenticates nothing on the socket; see docs/protocols/twilio.md.
 */
export const twilioAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/twilio',
  attach(socket: WebSocket, _req: IncomingMessage, ctx: IngestContext): void {
    const stream = new TwilioStream(socket, ctx);
    bindSocket(socket, PROTOCOL, ctx, {
      onText: (text) => stream.onText(text),
      onBinary: () => stream.onBinary(),
      onFault: (err) => stream.fail(err),
      onClose: () => stream.onClose(),
    });
  },
};
