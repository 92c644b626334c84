import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Proto files of the gRPC ingest, relative to the `protos/` folder at the repository root. */
export const VOC_PROTO = 'voc/v1/voc.proto';
export const VOSK_PROTO = 'vosk/stt/v1/stt_service.proto';
/** voc-engine's own StatsService for vosk clients (alphacep's proto has none). */
export const VOSK_STATS_PROTO = 'vosk/stt/v1/stats_service.proto';

export const VOC_SERVICE_NAME = 'voc.v1.CallAnalytics';
export const VOSK_SERVICE_NAME = 'vosk.stt.v1.SttService';
export const VOSK_STATS_SERVICE_NAME = 'vosk.stt.v1.StatsService';

/**
 * How messages look in JS, for the server and for test clients alike: proto field names as written
 * (snake_case), int64 as number (sample rates), enums as their names, defaults filled in, and the
 * name of the set oneof member in a virtual field (`request`, `response`, `streaming_request`).
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The `protos/` folder: found by walking up from this module, so it works from `src/` (tsx, vitest)
 * and from `dist/src/` (built) alike.
 */
export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'protos');
    if (existsSync(join(candidate, VOC_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`protos/${VOC_PROTO} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export interface GrpcProtos {
  definition: protoLoader.PackageDefinition;
  voc: ServiceDefinition;
  vosk: ServiceDefinition;
  voskStats: ServiceDefinition;
}

/** Loads the ingest protos (synchronously, once at server start). */
export function loadGrpcProtos(): GrpcProtos {
  const definition = protoLoader.loadSync([VOC_PROTO, VOSK_PROTO, VOSK_STATS_PROTO], { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  return {
    definition,
    voc: serviceOf(definition, VOC_SERVICE_NAME),
    vosk: serviceOf(definition, VOSK_SERVICE_NAME),
    voskStats: serviceOf(definition, VOSK_STATS_SERVICE_NAME),
  };
}

function serviceOf(definition: protoLoader.PackageDefinition, name: string): ServiceDefinition {
  const service = definition[name];
  if (!service || !isServiceDefinition(service)) throw new Error(`${name} is not a service in the loaded protos`);
  return service;
}

function isServiceDefinition(value: protoLoader.AnyDefinition): value is protoLoader.ServiceDefinition {
  // Message and enum definitions carry a `format` field; service definitions are maps of methods.
  return !('format' in value);
}
