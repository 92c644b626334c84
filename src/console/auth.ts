import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiKeys } from '../auth/api-keys.js';
import { headerKeys } from '../auth/http-credentials.js';
import type { RedisKeys } from '../publish/keys.js';
import type { RedisClient } from '../publish/redis-connection.js';

/** Name of the console's httpOnly session cookie. */
export const SESSION_COOKIE = 'voc_console';
/** Longer values are not session tokens; refused before hashing. */
const MAX_SECRET_CHARS = 1024;

/**
 * Who may use the console: a request presenting one of auth.apiKeys (`x-api-key` or
 * `Authorization: Bearer`, checked by the engine's one key check, src/auth), or a browser holding a session cookie from a login with such a key.
 * Sessions live in Redis (only a digest of the token is stored), so a login works on every instance.
 * With no keys configured the console is open, like the other endpoints.
 */
export class ConsoleAuth {
  private readonly apiKeys: ApiKeys;

  constructor(
    apiKeys: readonly string[],
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly sessionTtlMs: number,
  ) {
    this.apiKeys = new ApiKeys(apiKeys);
  }

  get required(): boolean {
    return this.apiKeys.required;
  }

  async allows(req: IncomingMessage): Promise<boolean> {
    if (!this.required) return true;
    if (this.apiKeys.allows(headerKeys(req.headers))) return true;
    const token = sessionToken(req);
    if (!token) return false;
    return (await this.redis.exists(this.keys.consoleSession(digest(token).toString('hex')))) === 1;
  }

  /** A new session for a valid key: the token for the cookie, or undefined for a wrong key. */
  async login(key: string): Promise<string | undefined> {
    if (!this.apiKeys.matches(key)) return undefined;
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(this.keys.consoleSession(digest(token).toString('hex')), '1', 'PX', this.sessionTtlMs);
    return token;
  }

  async logout(req: IncomingMessage): Promise<void> {
    const token = sessionToken(req);
    if (token) await this.redis.del(this.keys.consoleSession(digest(token).toString('hex')));
  }

  /** Set-Cookie value for a session token (or an expired one to clear it). */
  cookie(token: string | undefined, secure: boolean): string {
    const maxAge = token ? Math.floor(this.sessionTtlMs / 1000) : 0;
    return `${SESSION_COOKIE}=${token ?? ''}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function sessionToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === SESSION_COOKIE && value && value.length <= MAX_SECRET_CHARS) return value;
  }
  return undefined;
}
