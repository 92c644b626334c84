import type { Metadata } from '@grpc/grpc-js';
import { ApiKeys, bearerToken } from '../../auth/api-keys.js';

/**
 * API-key check for gRPC calls: `x-api-key: <key>` or `authorization: Bearer <key>` metadata, checked
 * by the engine's one key check (src/auth). No keys configured means no authentication.
 */
export class ApiKeyCheck {
  private readonly keys: ApiKeys;

  constructor(apiKeys: readonly string[]) {
    this.keys = new ApiKeys(apiKeys);
  }

  get required(): boolean {
    return this.keys.required;
  }

  allows(metadata: Metadata): boolean {
    return this.keys.allows(presented(metadata));
  }

  /** Id of the key the call presented (ApiKeys.identify), for per-key limits. */
  identify(metadata: Metadata): string | undefined {
    return this.keys.identify(presented(metadata));
  }
}

function presented(metadata: Metadata): (string | undefined)[] {
  return [firstString(metadata.get('x-api-key')), bearerToken(firstString(metadata.get('authorization')))];
}

function firstString(values: ReadonlyArray<string | Buffer>): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}
