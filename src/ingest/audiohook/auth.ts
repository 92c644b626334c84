import type { IncomingMessage } from 'node:http';
import { ApiKeys } from '../../auth/api-keys.js';
import type { Config } from '../../config/schema.js';

/**
 * AudioHook API-key check on the HTTP upgrade request (the reference implementation's "request"
 * strategy): a missing or unknown `X-API-KEY` is refused with 401 before any WebSocket exists.
 * With `requireApiKey` on and no keys configured, every request is refused (fail closed).
 * The optional HTTP message signature (`Signature`, `Signature-Input`, keyed by the client secret) is
 * not verified: the engine has no client secrets; see docs/protocols/audiohook.md.
 */
export function authorizeAudioHook(req: IncomingMessage, config: Config): number | undefined {
  if (!config.protocols.audiohook.requireApiKey) return undefined;
  const header = req.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return new ApiKeys(config.auth.apiKeys).matches(key) ? undefined : 401;
}
