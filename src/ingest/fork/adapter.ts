import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { bindSocket } from '../ws-socket.js';
import { FORK_SUBPROTOCOLS } from './messages.js';
import { ForkStream, PROTOCOL } from './session.js';

/**
 * `/v1/fork`: FreeSWITCH mod_audio_fork (`uuid_audio_fork`) and jambonz `listen`. The socket URL may
 * carry `?mixType=stereo&sampleRate=16000` for forks whose metadata does not say; see
 * docs/protocols/fork.md. With auth.apiKeys, a fork that cannot set headers puts its key in the URL
 * (`?token=<key>`) or offers a `voc-key.<key>` subprotocol.
 */
export const forkAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/fork',
  credentials: { query: true, subprotocol: true },
  selectSubprotocol(offered: Set<string>): string | undefined {
    return FORK_SUBPROTOCOLS.find((name) => offered.has(name));
  },
  attach(socket: WebSocket, req: IncomingMessage, ctx: IngestContext): void {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const stream = new ForkStream(socket, ctx, query, socket.protocol);
    bindSocket(socket, PROTOCOL, ctx, {
      onText: (text) => stream.onText(text),
      onBinary: (bytes) => stream.onBinary(bytes),
      onFault: (err) => stream.fail(err),
      onClose: (code) => stream.onClose(code),
    });
  },
};
