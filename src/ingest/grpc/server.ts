import { Server } from '@grpc/grpc-js';
import type { IngestContext } from '../adapter.js';
import { grpcCredentials } from '../tls.js';
import { ApiKeyCheck } from './auth.js';
import { GrpcHealth } from './health.js';
import { loadGrpcProtos } from './protos.js';
import { statsServiceImplementation, type StatsSource } from './stats-service.js';
import { vocServiceImplementation } from './voc-service.js';
import { voskServiceImplementation } from './vosk-service.js';

/** After the engine has drained, open streams only flush their summaries: this long is plenty. */
export const GRPC_CLOSE_GRACE_MS = 2000;

export interface GrpcServerHandle {
  readonly server: Server;
  /** Bound port (the configured one, or the one picked for port 0). */
  readonly port: number;
  /** Health answers: SERVING while accepting calls, NOT_SERVING while draining. */
  setServing(serving: boolean): void;
  /**
   * NOT_SERVING, stop accepting, wait up to `graceMs` for open streams to end by themselves, then
   * cancel the rest. Drain the engine first so every call has sent its summary.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * The gRPC port: voc.v1.CallAnalytics (native), vosk.stt.v1.SttService (vosk-server compatible) with
 * vosk.stt.v1.StatsService (the engine's figures, from `stats`), and grpc.health.v1.Health.
 * Plaintext HTTP/2 (h2c), or TLS (optionally mutual) with grpc.tls.
 */
export async function startGrpcServer(ctx: IngestContext, host: string, stats: StatsSource): Promise<GrpcServerHandle> {
  const { port, keepaliveTimeMs, keepaliveTimeoutMs, maxMessageBytes, tls } = ctx.config.grpc;
  const protos = loadGrpcProtos();
  const auth = new ApiKeyCheck(ctx.config.auth.apiKeys);
  const server = new Server({
    // Server pings find dead clients (NAT timeouts, crashed media servers); their calls end as 'disconnect'.
    'grpc.keepalive_time_ms': keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
    // Oversize messages are refused by grpc-js with RESOURCE_EXHAUSTED before they reach a handler.
    'grpc.max_receive_message_length': maxMessageBytes,
  });
  server.addService(protos.voc, vocServiceImplementation(ctx, auth));
  server.addService(protos.vosk, voskServiceImplementation(ctx, auth));
  server.addService(protos.voskStats, statsServiceImplementation(ctx, auth, stats));
  const health = new GrpcHealth(ctx.calls.accepting);
  health.addToServer(server);

  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${formatHost(host)}:${port}`, grpcCredentials(tls), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  ctx.log.info({ grpcPort: boundPort, grpcHost: host, tls: tls !== undefined, apiKeyRequired: auth.required }, 'grpc ingest listening');

  return {
    server,
    port: boundPort,
    setServing: (serving) => health.setServing(serving),
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        health.setServing(false);
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** IPv6 literals need brackets in a gRPC address. */
function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
