import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiKeys } from '../auth/api-keys.js';
import { headerKeys, presentedKeys } from '../auth/http-credentials.js';
import { withSource } from './call-source.js';
import { readTlsFiles } from './tls.js';
import type { IngestContext, WsProtocolAdapter } from './adapter.js';

export interface Readiness {
  /** Checks by name; all must be true for /readyz to answer 200. */
  checks: Record<string, boolean>;
  /** Why a check failed, by name (only failed checks that know why). */
  problems?: Record<string, string>;
}

export interface HealthProbe {
  readiness(): Readiness | Promise<Readiness>;
  /** Reported beside the checks (not a check): calls admitted and in progress. */
  capacity?(): { calls: number; active: number };
}

/** More HTTP routes on the same port (the console): requests and upgrades under paths they own. */
export interface HttpRoutes {
  owns(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpServerHandle {
  server: Server;
  port: number;
  /** Stops accepting; closes idle keep-alive connections. Open WebSockets are left to their calls. */
  close(): Promise<void>;
}

/**
 * One HTTP port for everything HTTP: WebSocket ingest (routed by path to protocol adapters),
 * Prometheus `/metrics`, `/healthz` (process alive) and `/readyz` (able to take calls).
 */
export async function startHttpServer(
  ctx: IngestContext,
  adapters: readonly WsProtocolAdapter[],
  health: HealthProbe,
  host: string,
  extraRoutes: readonly HttpRoutes[] = [],
): Promise<HttpServerHandle> {
  const { port, maxMessageBytes, tls } = ctx.config.server;
  const routes = new Map(adapters.map((adapter) => [adapter.path, { adapter, wss: createWss(adapter, maxMessageBytes) }]));
  const keys = new ApiKeys(ctx.config.auth.apiKeys);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const extra = extraRoutes.find((r) => r.owns(new URL(req.url ?? '/', 'http://localhost').pathname));
    void (extra ? extra.handle(req, res) : handleHttp(req, res, ctx, health, keys));
  };
  // With server.tls, the same port speaks HTTPS/WSS (and checks client certificates when a CA is given).
  const server: Server = tls ? createTlsServer(readTlsFiles(tls), onRequest) : createServer(onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const extra = extraRoutes.find((r) => r.owns(path));
    if (extra) return extra.upgrade(req, socket, head);
    const route = routes.get(path);
    if (!route) return refuseUpgrade(socket, 404, 'Not Found');
    const { adapter } = route;
    const status = adapter.authorize
      ? adapter.authorize(req, ctx)
      : keys.allows(presentedKeys(req, adapter.credentials)) ? undefined : 401;
    if (status !== undefined) {
      ctx.metrics.ingestErrors.inc({ protocol: route.adapter.protocol, reason: 'unauthenticated' });
      return refuseUpgrade(socket, status, status === 401 ? 'Unauthorized' : 'Forbidden');
    }
    route.wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        const source = { ip: req.socket.remoteAddress, keyId: keys.identify(presentedKeys(req, { query: true, subprotocol: true })) };
        route.adapter.attach(ws, req, withSource(ctx, source));
      } catch (err) {
        // An adapter must not throw; if one does, only this socket pays for it.
        ctx.log.error({ err, protocol: route.adapter.protocol }, 'adapter failed to attach');
        ws.close(1011, 'internal error');
      }
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function createWss(adapter: WsProtocolAdapter, maxPayload: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    skipUTF8Validation: adapter.validatesUtf8 === true,
    handleProtocols: (offered) => adapter.selectSubprotocol?.(offered) ?? false,
  });
}

async function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: IngestContext, health: HealthProbe, keys: ApiKeys): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      if (ctx.config.auth.protectMetrics && !keys.allows(headerKeys(req.headers))) {
        ctx.metrics.ingestErrors.inc({ protocol: 'metrics', reason: 'unauthenticated' });
        return reply(res, 401, 'text/plain', 'unauthorized\n');
      }
      const body = await ctx.metrics.registry.metrics();
      return reply(res, 200, ctx.metrics.registry.contentType, body);
    }
    if (path === '/healthz') return reply(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      const { checks, problems } = await health.readiness();
      const ready = Object.values(checks).every(Boolean);
      const capacity = health.capacity?.();
      const body = { ready, checks, ...(problems && Object.keys(problems).length > 0 ? { problems } : {}), ...(capacity ? { capacity } : {}) };
      return reply(res, ready ? 200 : 503, 'application/json', JSON.stringify(body));
    }
    reply(res, 404, 'text/plain', 'not found\n');
  } catch (err) {
    ctx.log.error({ err, path }, 'http handler failed');
    reply(res, 500, 'text/plain', 'internal error\n');
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
