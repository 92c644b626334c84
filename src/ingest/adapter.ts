import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { CredentialSources } from '../auth/http-credentials.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { CallOpener } from '../session/types.js';

/** What every ingest adapter gets from the service: the engine, its config, metrics and logger. */
export interface IngestContext {
  calls: CallOpener;
  config: Config;
  metrics: EngineMetrics;
  log: Logger;
}

/**
 * One WebSocket protocol. The HTTP server routes upgrades by path; the adapter turns its wire protocol
 * into CallSession calls and events back into its own messages. Adding a protocol = adding an adapter.
 */
export interface WsProtocolAdapter {
  /** Adapter name, used as the `protocol` label of metrics and logs ('stream', 'twilio', ...). */
  readonly protocol: string;
  /** URL path, e.g. '/v1/twilio'. */
  readonly path: string;
  /** Choose a subprotocol from the client's offer (Sec-WebSocket-Protocol); undefined = accept none. */
  selectSubprotocol?(offered: Set<string>): string | undefined;
  /**
   * Where this protocol's clients may put the API key besides the headers (`x-api-key`,
   * `Authorization: Bearer`), for the engine's default check before the upgrade (src/auth).
   */
  readonly credentials?: CredentialSources;
  /** The adapter checks text frames' UTF-8 itself (ws then skips its check, which closes with a bare 1007). */
  readonly validatesUtf8?: boolean;
  /** A protocol's own check before the upgrade, replacing the default; returns an HTTP status (401/403) to refuse. */
  authorize?(req: IncomingMessage, ctx: IngestContext): number | undefined;
  /** Take over one accepted socket. Must never throw: faults close that socket only. */
  attach(socket: WebSocket, req: IncomingMessage, ctx: IngestContext): void;
}
