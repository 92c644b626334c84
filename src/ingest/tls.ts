import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { TlsOptions } from '../config/schema.js';

/** PEM files of one TLS listener, read once at start (a missing file stops the start with its path). */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Client CA: clients must present a certificate it signed (mTLS). */
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export function readTlsFiles(tls: TlsOptions): TlsMaterial {
  const ca = tls.clientCaFile === undefined ? undefined : readPem(tls.clientCaFile, 'clientCaFile');
  return {
    cert: readPem(tls.certFile, 'certFile'),
    key: readPem(tls.keyFile, 'keyFile'),
    ...(ca ? { ca } : {}),
    requestCert: ca !== undefined,
    rejectUnauthorized: ca !== undefined,
  };
}

/** gRPC credentials: TLS (with client certificates checked against the CA when one is set) or plaintext h2c. */
export function grpcCredentials(tls: TlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const material = readTlsFiles(tls);
  return ServerCredentials.createSsl(material.ca ?? null, [{ cert_chain: material.cert, private_key: material.key }], material.requestCert);
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`tls.${field}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
