import WebSocket from 'ws';

export interface ServerMessage {
  type: string;
  [key: string]: unknown;
}

/** A recording WebSocket client: every JSON message the server sends, and how the socket closed. */
export class RecordingClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(
    url: string,
    readonly socket: WebSocket = new WebSocket(url),
  ) {
    this.opened = new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** Sends audio frames, `framesPerBurst` at a time with `pauseMs` between bursts (pacing). */
  async sendAudio(frames: readonly Buffer[], framesPerBurst = 5, pauseMs = 10): Promise<void> {
    for (let i = 0; i < frames.length; i++) {
      if (this.socket.readyState !== WebSocket.OPEN) return;
      this.socket.send(frames[i]!);
      if ((i + 1) % framesPerBurst === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  ofType(type: string): ServerMessage[] {
    return this.messages.filter((m) => m.type === type);
  }

  async waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs = 60_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a message; got types ${this.messages.map((m) => m.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Opens a one-party (customer) 8 kHz mu-law call on /v1/stream and waits until it is started. */
export async function startCustomerCall(url: string, callId: string): Promise<RecordingClient> {
  const client = new RecordingClient(url);
  await client.opened;
  client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
  await client.waitFor((m) => m.type === 'started');
  return client;
}
