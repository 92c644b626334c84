import { request } from 'node:https';
import { credentials } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TestGrpcClient } from '../helpers/grpc-client.js';
import { useLiveService } from '../helpers/live-service.js';
import { generateTestCerts } from '../helpers/tls-certs.js';

const certs = generateTestCerts();
afterAll(() => certs.remove());

interface TlsClient {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function httpsGet(port: number, path: string, tls: TlsClient): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, ...tls }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function wssStarted(port: number, tls: TlsClient, callId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://localhost:${port}/v1/stream`, { ...tls });
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'start', callId, encoding: 'pcm16', sampleRate: 8000, channels: 1, parties: ['customer'] })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === 'started') {
        socket.close();
        resolve(message.type);
      }
    });
  });
}

describe('native TLS for HTTP/WebSocket and gRPC (self-signed CA made by openssl in the test)', () => {
  const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile };
  const live = useLiveService('tls', { server: { tls }, grpc: { tls } });
  const ca = certs.read(certs.caFile);

  it('serves /healthz over HTTPS and /v1/stream over wss://', async () => {
    const port = live.svc.service.httpPort;
    expect(await httpsGet(port, '/healthz', { ca })).toBe(200);
    expect(await wssStarted(port, { ca }, 'tls-call-1')).toBe('started');
  });

  it('refuses plaintext on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${live.svc.service.httpPort}/healthz`)).rejects.toThrow();
  });

  it('serves gRPC over TLS', async () => {
    const client = new TestGrpcClient(live.svc.service.grpcPort!, credentials.createSsl(ca));
    try {
      expect(await client.health('')).toBe('SERVING');
    } finally {
      client.close();
    }
    const plaintext = new TestGrpcClient(live.svc.service.grpcPort!);
    try {
      await expect(plaintext.health('')).rejects.toThrow();
    } finally {
      plaintext.close();
    }
  });
});

describe('mutual TLS: with clientCaFile, clients need a certificate the CA signed', () => {
  const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile };
  const live = useLiveService('mtls', { server: { tls }, grpc: { tls } });
  const ca = certs.read(certs.caFile);
  const cert = certs.read(certs.clientCertFile);
  const key = certs.read(certs.clientKeyFile);

  it('HTTPS and wss:// refuse a client without a certificate and accept one with it', async () => {
    const port = live.svc.service.httpPort;
    await expect(httpsGet(port, '/healthz', { ca })).rejects.toThrow();
    expect(await httpsGet(port, '/healthz', { ca, cert, key })).toBe(200);
    await expect(wssStarted(port, { ca }, 'mtls-refused')).rejects.toThrow();
    expect(await wssStarted(port, { ca, cert, key }, 'mtls-call-1')).toBe('started');
  });

  it('gRPC refuses a client without a certificate and accepts one with it', async () => {
    const without = new TestGrpcClient(live.svc.service.grpcPort!, credentials.createSsl(ca));
    const withCert = new TestGrpcClient(live.svc.service.grpcPort!, credentials.createSsl(ca, key, cert));
    try {
      await expect(without.health('')).rejects.toThrow();
      expect(await withCert.health('')).toBe('SERVING');
    } finally {
      without.close();
      withCert.close();
    }
  });
});
