import { Client, Metadata, credentials, status as grpcStatus, type ChannelCredentials, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { loadGrpcProtos } from '../../src/ingest/grpc/protos.js';
import type { StatsResponseMessage } from '../../src/ingest/grpc/stats-service.js';

/**
 * A real grpc-js client over the same protos the server loads (proto-loader, same options):
 * `makeBidiStreamRequest` is what generated stubs call underneath.
 */
const protos = loadGrpcProtos();

export type WireMessage = Record<string, unknown>;

export interface StreamOptions {
  metadata?: Record<string, string>;
  /** Client deadline, ms from now. */
  deadlineMs?: number;
}

/** One bidirectional call that records every response and the final status. */
export class RecordingGrpcStream {
  readonly messages: WireMessage[] = [];
  readonly status: Promise<StatusObject>;
  private waiters: Array<() => void> = [];
  private ended = false;

  constructor(readonly call: ClientDuplexStream<WireMessage, WireMessage>) {
    this.status = new Promise((resolve) => call.on('status', (s: StatusObject) => resolve(s)));
    // Errors also arrive as the status; the listener keeps them from being unhandled.
    call.on('error', () => undefined);
    call.on('data', (message: WireMessage) => {
      this.messages.push(message);
      this.wake();
    });
    void this.status.then(() => {
      this.ended = true;
      this.wake();
    });
  }

  /** Writes and waits for the stream to accept more (client-side backpressure). */
  async send(message: WireMessage): Promise<void> {
    if (this.ended) return;
    if (!this.call.write(message)) await new Promise<void>((resolve) => this.call.once('drain', () => resolve()));
  }

  /** Sends chunks `perBurst` at a time with `pauseMs` between bursts (pacing faster than real time). */
  async sendAll(messages: readonly WireMessage[], perBurst = 5, pauseMs = 10): Promise<void> {
    for (let i = 0; i < messages.length; i++) {
      if (this.ended) return;
      await this.send(messages[i]!);
      if ((i + 1) % perBurst === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  halfClose(): void {
    this.call.end();
  }

  of(field: string): WireMessage[] {
    return this.messages.filter((m) => m[field] !== undefined && m[field] !== null).map((m) => m[field] as WireMessage);
  }

  async waitFor(predicate: (m: WireMessage) => boolean, timeoutMs = 60_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) throw new Error(`no matching message; got ${JSON.stringify(this.messages.map((m) => Object.keys(m)))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

export class TestGrpcClient {
  private readonly client: Client;

  /** Plaintext by default; pass TLS credentials for a server with grpc.tls (connects as `localhost`). */
  constructor(port: number, tls?: ChannelCredentials) {
    this.client = tls ? new Client(`localhost:${port}`, tls) : new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  /** voc.v1.CallAnalytics/StreamCall */
  streamCall(options: StreamOptions = {}): RecordingGrpcStream {
    return this.open(protos.voc.StreamCall as MethodDefinition<WireMessage, WireMessage>, options);
  }

  /** vosk.stt.v1.SttService/StreamingRecognize */
  streamingRecognize(options: StreamOptions = {}): RecordingGrpcStream {
    return this.open(protos.vosk.StreamingRecognize as MethodDefinition<WireMessage, WireMessage>, options);
  }

  /** vosk.stt.v1.StatsService/GetStats (request google.protobuf.Empty); rejects with the ServiceError. */
  getStats(metadata: Record<string, string> = {}): Promise<StatsResponseMessage> {
    const method = protos.voskStats.GetStats as MethodDefinition<Record<string, never>, StatsResponseMessage>;
    return this.unary(method.path, method.requestSerialize, method.responseDeserialize, {}, metadata);
  }

  /** One unary call with any serializer (tests send bytes that do not decode through it). */
  unary<Req, Res>(path: string, serialize: (req: Req) => Buffer, deserialize: (bytes: Buffer) => Res, request: Req, metadata: Record<string, string> = {}): Promise<Res> {
    const md = new Metadata();
    for (const [key, value] of Object.entries(metadata)) md.set(key, value);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serialize, deserialize, request, md, (err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res)));
    });
  }

  /** grpc.health.v1.Health/Check -> 'SERVING' | 'NOT_SERVING' | ... */
  health(serviceName: string): Promise<string> {
    const check = healthService.Check as MethodDefinition<{ service: string }, { status: string | number }>;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: serviceName }, (err, res) =>
        err || !res ? reject(err ?? new Error('no response')) : resolve(String(res.status)),
      );
    });
  }

  close(): void {
    this.client.close();
  }

  private open(method: MethodDefinition<WireMessage, WireMessage>, options: StreamOptions): RecordingGrpcStream {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const callOptions = options.deadlineMs !== undefined ? { deadline: Date.now() + options.deadlineMs } : {};
    return new RecordingGrpcStream(this.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata, callOptions));
  }
}

export { grpcStatus };
