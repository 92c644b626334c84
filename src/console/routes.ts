import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log/logger.js';
import { CALL_ID_PATTERN } from '../publish/keys.js';
import type { Asset } from './assets.js';
import type { ConsoleAuth } from './auth.js';
import type { LiveFeed } from './live-feed.js';
import type { ConsoleStore } from './store.js';
import type { AckRequest } from './wire.js';

export const CONSOLE_PATH = '/console';
const LIVE_PATH = `${CONSOLE_PATH}/live`;
const API = `${CONSOLE_PATH}/api`;
/** Names, assignees and alert ids from the browser. */
const MAX_NAME_CHARS = 100;
const MAX_ALERT_ID_CHARS = 400;
/** Longest drivers period: the hourly counts' default retention (voc.hourRetentionMs, 35 days). */
const MAX_DRIVERS_PERIOD_MS = 35 * 24 * 3600 * 1000;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Strict: only the bundle's own scripts and styles, data only from this origin (the live feed too),
 * no frames, no inline code. The bundle needs nothing else (charts draw on canvas, styles are files).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleRouteDeps {
  auth: ConsoleAuth;
  store: ConsoleStore;
  feed: LiveFeed;
  /** Undefined when the bundle was not built (`npm run build`). */
  assets: Map<string, Asset> | undefined;
  maxBodyBytes: number;
  log: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The console's HTTP routes and its live-feed WebSocket, mounted on the engine's HTTP server. */
export class ConsoleRoutes {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });

  constructor(private readonly deps: ConsoleRouteDeps) {}

  owns(path: string): boolean {
    return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      await this.route(req, res, url);
    } catch (err) {
      if (err instanceof HttpError) return json(res, err.status, { error: err.message });
      this.deps.log.error({ err, path: url.pathname }, 'console request failed');
      json(res, 500, { error: 'internal error' });
    }
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== LIVE_PATH) return refuse(socket, 404, 'Not Found');
    if (!sameOrigin(req)) return refuse(socket, 403, 'Forbidden');
    void this.deps.auth.allows(req).then(
      (ok) => {
        if (!ok) return refuse(socket, 401, 'Unauthorized');
        if (this.deps.feed.full) return refuse(socket, 503, 'Service Unavailable');
        this.wss.handleUpgrade(req, socket, head, (ws) => this.deps.feed.add(ws));
      },
      (err: unknown) => {
        this.deps.log.error({ err }, 'console live-feed authentication failed');
        refuse(socket, 503, 'Service Unavailable');
      },
    );
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === CONSOLE_PATH || path === `${CONSOLE_PATH}/`)) return this.asset(res, 'index.html');
    if (method === 'GET' && path.startsWith(`${CONSOLE_PATH}/assets/`)) return this.asset(res, path.slice(`${CONSOLE_PATH}/assets/`.length));
    if (!path.startsWith(`${API}/`)) throw new HttpError(404, 'not found');
    const { auth, store } = this.deps;

    if (method === 'GET' && path === `${API}/session`) {
      return json(res, 200, { required: auth.required, authenticated: await auth.allows(req) });
    }
    if (method === 'POST' && path === `${API}/login`) {
      const body = await this.body(req);
      const key = typeof body.key === 'string' ? body.key : '';
      const token = await auth.login(key);
      if (!token) throw new HttpError(401, 'wrong key');
      res.setHeader('set-cookie', auth.cookie(token, isSecure(req)));
      return json(res, 200, { authenticated: true });
    }
    if (method === 'POST' && path === `${API}/logout`) {
      await this.body(req);
      await auth.logout(req);
      res.setHeader('set-cookie', auth.cookie(undefined, isSecure(req)));
      return json(res, 200, { authenticated: false });
    }

    if (!(await auth.allows(req))) throw new HttpError(401, 'unauthorized');
    if (method === 'GET' && path === `${API}/calls`) return json(res, 200, { calls: await store.board() });
    if (method === 'GET' && path.startsWith(`${API}/calls/`)) {
      const callId = decodeURIComponent(path.slice(`${API}/calls/`.length));
      if (!CALL_ID_PATTERN.test(callId)) throw new HttpError(400, 'invalid callId');
      const detail = await store.detail(callId);
      if (!detail) throw new HttpError(404, 'no such call');
      return json(res, 200, detail);
    }
    if (method === 'GET' && path === `${API}/alerts`) {
      const after = url.searchParams.get('after') ?? undefined;
      if (after !== undefined && !STREAM_ID.test(after)) throw new HttpError(400, 'after must be a stream id like 1700000000000-0');
      return json(res, 200, await store.alerts(after));
    }
    if (method === 'GET' && path === `${API}/drivers`) {
      const periodMs = Number(url.searchParams.get('periodMs') ?? 3_600_000);
      if (!Number.isInteger(periodMs) || periodMs < 60_000 || periodMs > MAX_DRIVERS_PERIOD_MS) throw new HttpError(400, `periodMs: 60000 to ${MAX_DRIVERS_PERIOD_MS}`);
      return json(res, 200, await store.drivers(periodMs, Date.now()));
    }
    if (method === 'POST' && path === `${API}/ack`) {
      return json(res, 200, await store.ack(ackRequest(await this.body(req)), new Date()));
    }
    throw new HttpError(404, 'not found');
  }

  private asset(res: ServerResponse, name: string): void {
    const { assets } = this.deps;
    if (!assets) throw new HttpError(503, 'console not built: run npm run build');
    const asset = assets.get(name);
    if (!asset) throw new HttpError(404, 'not found');
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.length,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(asset.body);
  }

  /** A JSON object body, bounded by maxBodyBytes. JSON content type only (cross-site forms cannot send it). */
  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'content-type must be application/json');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.deps.maxBodyBytes) throw new HttpError(413, 'body too large');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.deps.maxBodyBytes) throw new HttpError(413, 'body too large');
      chunks.push(chunk as Buffer);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'body must be a JSON object');
    return parsed as Record<string, unknown>;
  }

  close(): void {
    this.wss.close();
  }
}

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function ackRequest(body: Record<string, unknown>): AckRequest {
  const { alertId, action, by, assignee } = body;
  if (typeof alertId !== 'string' || alertId.length === 0 || alertId.length > MAX_ALERT_ID_CHARS) throw new HttpError(400, 'alertId required');
  const callId = alertId.slice(0, alertId.indexOf('/'));
  if (!CALL_ID_PATTERN.test(callId)) throw new HttpError(400, 'alertId must be <callId>/<key>');
  if (action !== 'ack' && action !== 'assign') throw new HttpError(400, "action must be 'ack' or 'assign'");
  if (typeof by !== 'string' || by.trim().length === 0 || by.length > MAX_NAME_CHARS) throw new HttpError(400, `by: a name of 1-${MAX_NAME_CHARS} characters`);
  if (assignee !== undefined && (typeof assignee !== 'string' || assignee.length > MAX_NAME_CHARS)) throw new HttpError(400, `assignee: at most ${MAX_NAME_CHARS} characters`);
  return { alertId, action, by: by.trim(), ...(typeof assignee === 'string' ? { assignee: assignee.trim() } : {}) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

function isSecure(req: IncomingMessage): boolean {
  return req.headers['x-forwarded-proto'] === 'https' || ('encrypted' in req.socket && req.socket.encrypted === true);
}

/** Browsers always send Origin on WebSocket upgrades: it must be this host (no cross-site feed). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser (API-key clients)
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
