import type { CallSource } from '../session/types.js';
import type { IngestContext } from './adapter.js';

/**
 * The context one connection's adapter works with: every call it opens carries the connection's
 * source (address, key id) for the engine's per-address and per-key limits. An adapter that learns
 * the key later (Twilio's `token` parameter) sets `start.source.keyId` itself; it wins.
 */
export function withSource(ctx: IngestContext, source: CallSource): IngestContext {
  const { calls } = ctx;
  return {
    ...ctx,
    calls: {
      openCall: (start) => calls.openCall({ ...start, source: { ...source, ...definedOnly(start.source) } }),
      get accepting() {
        return calls.accepting;
      },
    },
  };
}

function definedOnly(source: CallSource | undefined): CallSource {
  const out: CallSource = {};
  if (source?.ip !== undefined) out.ip = source.ip;
  if (source?.keyId !== undefined) out.keyId = source.keyId;
  return out;
}

/** The address part of a gRPC peer string (`ipv4:1.2.3.4:5678`, `ipv6:[::1]:5678`). */
export function peerAddress(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(withoutScheme);
  if (bracketed) return bracketed[1]!;
  const colon = withoutScheme.lastIndexOf(':');
  return colon > 0 && withoutScheme.indexOf(':') === colon ? withoutScheme.slice(0, colon) : withoutScheme;
}
