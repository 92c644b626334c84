import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/**
 * API-key check for gRPC calls: `x-api-key: <key>` or `authorization: Bearer <key>`.
 * No keys configured means no authentication. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither the key's content nor its length leaks through timing.
 */
export class ApiKeyCheck {
  private readonly digests: Buffer[];

  constructor(apiKeys: readonly string[]) {
    this.digests = apiKeys.map(digest);
  }

  get required(): boolean {
    return this.digests.length > 0;
  }

  allows(metadata: Metadata): boolean {
    if (!this.required) return true;
    const presented = presentedKey(metadata);
    if (presented === undefined) return false;
    const candidate = digest(presented);
    // Compare against every key (no early exit) so timing does not reveal which one matched.
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, candidate) || ok;
    return ok;
  }
}

function presentedKey(metadata: Metadata): string | undefined {
  const apiKey = firstString(metadata.get('x-api-key'));
  if (apiKey) return apiKey;
  const authorization = firstString(metadata.get('authorization'));
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}

function firstString(values: ReadonlyArray<string | Buffer>): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
