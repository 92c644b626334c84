import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The engine's one API-key check, shared by every endpoint (WebSocket ingest, gRPC, /metrics, the
 * console). Keys are compared as SHA-256 digests with timingSafeEqual against every configured key
 * (no early exit), so neither a key's content, its length nor which key matched leaks through timing.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /**
   * A stable id of the configured key among `presented` (for per-key limits and logs), or undefined:
   * `key-` and the first 12 hex digits of its SHA-256, so the key itself never leaves this module.
   */
  identify(presented: readonly (string | undefined)[]): string | undefined {
    let found: string | undefined;
    for (const key of presented) {
      if (found !== undefined || !this.matches(key)) continue;
      found = `key-${digest(key!).toString('hex').slice(0, 12)}`;
    }
    return found;
  }

  /** Keys are configured: requests must present one. With none, everything is open (and the log says so). */
  get required(): boolean {
    return this.digests.length > 0;
  }

  /** Whether a presented key is one of the configured keys (false when none are configured). */
  matches(presented: string | undefined): boolean {
    if (presented === undefined || presented.length === 0 || presented.length > MAX_KEY_CHARS) return false;
    const candidate = digest(presented);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, candidate) || ok;
    return ok;
  }

  /** The request may go on: no keys configured, or one of the presented keys matches. */
  allows(presented: readonly (string | undefined)[]): boolean {
    if (!this.required) return true;
    let ok = false;
    for (const key of presented) ok = this.matches(key) || ok;
    return ok;
  }
}

/** Longer values are not keys; refused before hashing. */
const MAX_KEY_CHARS = 1024;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** `Bearer <key>` of an Authorization header value. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}
