import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { VOC_SERVICE_NAME, VOSK_SERVICE_NAME } from './protos.js';

/** Health service names: '' (the whole server, by convention) and each ingest service. */
export const HEALTH_SERVICE_NAMES = ['', VOC_SERVICE_NAME, VOSK_SERVICE_NAME] as const;

/**
 * grpc.health.v1.Health (the standard implementation from grpc-health-check, Check and Watch):
 * SERVING while the engine accepts calls, NOT_SERVING once it drains for shutdown, so load
 * balancers and Kubernetes gRPC probes stop sending new calls while active ones finish.
 */
export class GrpcHealth {
  private readonly impl: HealthImplementation;

  constructor(serving: boolean) {
    this.impl = new HealthImplementation(Object.fromEntries(HEALTH_SERVICE_NAMES.map((name) => [name, statusOf(serving)])));
  }

  addToServer(server: Server): void {
    this.impl.addToServer(server);
  }

  setServing(serving: boolean): void {
    for (const name of HEALTH_SERVICE_NAMES) this.impl.setStatus(name, statusOf(serving));
  }
}

function statusOf(serving: boolean): ServingStatus {
  return serving ? 'SERVING' : 'NOT_SERVING';
}
