import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { ApiKeys } from '../../auth/api-keys.js';
import { presentedKeys } from '../../auth/http-credentials.js';
import { validTwilioSignature } from '../../auth/twilio-signature.js';
import type { IngestContext, WsProtocolAdapter } from '../adapter.js';
import { bindSocket } from '../ws-socket.js';
import { PROTOCOL, TwilioStream } from './session.js';

/**
 * `/v1/twilio`: Twilio Media Streams (`<Start><Stream>` unidirectional or `<Connect><Stream>`
 * bidirectional). Authentication, by what Twilio can send (docs/protocols/twilio.md):
 * - protocols.twilio.authToken set: the upgrade must carry a valid `X-Twilio-Signature`;
 * - else, with auth.apiKeys: a key in the URL (`?token=`) or, since Twilio's stream URL takes no
 *   query string in TwiML, a `token` custom parameter (`<Parameter name="token" .../>`) in `start`.
 */
export const twilioAdapter: WsProtocolAdapter = {
  protocol: PROTOCOL,
  path: '/v1/twilio',
  authorize(req: IncomingMessage, ctx: IngestContext): number | undefined {
    const { authToken, publicUrl } = ctx.config.protocols.twilio;
    if (authToken) {
      const signature = req.headers['x-twilio-signature'];
      return validTwilioSignature(authToken, Array.isArray(signature) ? signature[0] : signature, signedUrls(req, publicUrl)) ? undefined : 401;
    }
    // A key in the URL must be right; without one, the key is expected in the start message.
    const keys = presentedKeys(req, { query: true });
    return keys.length === 0 || new ApiKeys(ctx.config.auth.apiKeys).allows(keys) ? undefined : 401;
  },
  attach(socket: WebSocket, req: IncomingMessage, ctx: IngestContext): void {
    const keys = new ApiKeys(ctx.config.auth.apiKeys);
    const keyAtStart = ctx.config.protocols.twilio.authToken === undefined && keys.required && !keys.allows(presentedKeys(req, { query: true }));
    const stream = new TwilioStream(socket, ctx, keyAtStart ? keys : undefined);
    bindSocket(socket, PROTOCOL, ctx, {
      onText: (text) => stream.onText(text),
      onBinary: () => stream.onBinary(),
      onFault: (err) => stream.fail(err),
      onClose: () => stream.onClose(),
    });
  },
};

/** The URLs Twilio may have signed: the configured public URL, else this request's host under each scheme. */
function signedUrls(req: IncomingMessage, publicUrl: string | undefined): string[] {
  if (publicUrl) return [publicUrl];
  const host = req.headers.host ?? '';
  return ['wss', 'https', 'ws', 'http'].map((scheme) => `${scheme}://${host}${req.url ?? '/'}`);
}
