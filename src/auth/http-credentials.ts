import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { bearerToken } from './api-keys.js';

/**
 * Where an HTTP or WebSocket request may carry its API key. Headers (`x-api-key`, `Authorization:
 * Bearer`) always count; a platform that can only set the URL or the WebSocket subprotocol (media
 * forks) may also use `?token=<key>` or a subprotocol `voc-key.<key>`.
 */
export interface CredentialSources {
  query?: boolean;
  subprotocol?: boolean;
}

/** Query parameter carrying an API key where headers cannot be set. */
export const TOKEN_QUERY_PARAM = 'token';
/** WebSocket subprotocol prefix carrying an API key where only subprotocols can be set. */
export const KEY_SUBPROTOCOL_PREFIX = 'voc-key.';

/** Every key the request presents through the allowed sources (the caller checks them with ApiKeys). */
export function presentedKeys(req: IncomingMessage, sources: CredentialSources = {}): string[] {
  const keys = headerKeys(req.headers);
  if (sources.query) {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get(TOKEN_QUERY_PARAM);
    if (token) keys.push(token);
  }
  if (sources.subprotocol) {
    for (const offered of header(req.headers, 'sec-websocket-protocol')?.split(',') ?? []) {
      const name = offered.trim();
      if (name.startsWith(KEY_SUBPROTOCOL_PREFIX)) keys.push(name.slice(KEY_SUBPROTOCOL_PREFIX.length));
    }
  }
  return keys;
}

/** `x-api-key`, then `Authorization: Bearer`. */
export function headerKeys(headers: IncomingHttpHeaders): string[] {
  const keys: string[] = [];
  const apiKey = header(headers, 'x-api-key');
  if (apiKey) keys.push(apiKey);
  const bearer = bearerToken(header(headers, 'authorization'));
  if (bearer) keys.push(bearer);
  return keys;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
