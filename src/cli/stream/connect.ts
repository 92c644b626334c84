import WebSocket from 'ws';
import { CliError, EXIT } from '../errors.js';

/** How long the TCP connect plus WebSocket upgrade may take. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Opens the WebSocket; any failure is a CliError that names the URL and says what to check. */
export function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const onError = (err: Error) => reject(new CliError(EXIT.failure, connectProblem(url, err)));
    socket.once('error', onError);
    socket.once('open', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function connectProblem(url: string, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED')
    return `cannot connect to ${url}: connection refused (${err.message}). Is \`voc serve\` running there? Start it, or point --url at the engine.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot connect to ${url}: host not found (${err.message})`;
  if (/Unexpected server response: 404/.test(err.message))
    return `cannot connect to ${url}: the server answered 404 (${err.message}); the engine's endpoint is /v1/stream`;
  return `cannot connect to ${url}: ${err.message}`;
}
