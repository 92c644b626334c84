import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsResponseMessage } from '../../src/ingest/grpc/stats-service.js';
import { buildCallAudio } from '../helpers/call-audio.js';
import { REPO } from '../helpers/cli.js';
import { TestGrpcClient, grpcStatus, type WireMessage } from '../helpers/grpc-client.js';
import { useLiveService } from '../helpers/live-service.js';
import { ingestErrorSnapshot } from '../helpers/metrics.js';

const run = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const CHUNK_BYTES = 4000;
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

function audioRequests(bytes: Buffer): WireMessage[] {
  const out: WireMessage[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) out.push({ audio_content: bytes.subarray(i, i + CHUNK_BYTES) });
  return out;
}

/** The vosk-grpc entry of a response (zeros before the first such call). */
function voskGrpc(stats: StatsResponseMessage) {
  return stats.protocols.find((p) => p.protocol === 'vosk-grpc') ?? { active_calls: 0, calls_started: 0, calls_ended: 0, audio_received_seconds: 0 };
}

/** Generates python stubs of `proto` (found in `includeDir`) into `out`, as vosk-server's Makefile does. */
async function protoc(includeDir: string, proto: string, out: string): Promise<void> {
  await run(PYTHON, [
    '-c',
    'import os, sys, grpc_tools; from grpc_tools import protoc; sys.exit(protoc.main(["protoc", "-I" + sys.argv[1], "-I" + os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"), "--python_out=" + sys.argv[2], "--grpc_python_out=" + sys.argv[2], sys.argv[3]]))',
    includeDir,
    out,
    join(includeDir, proto),
  ]);
}

/** A python grpcio client: GetStats with google.protobuf.Empty, the reply printed as JSON (field names as in the proto). */
const PY_GET_STATS = `
import json, sys, importlib
import grpc
from google.protobuf import empty_pb2
from google.protobuf.json_format import MessageToDict
grpc_mod = importlib.import_module(sys.argv[2] + '_pb2_grpc')
stub = grpc_mod.StatsServiceStub(grpc.insecure_channel(sys.argv[1]))
reply = stub.GetStats(empty_pb2.Empty(), timeout=10)
print(json.dumps(MessageToDict(reply, preserving_proto_field_name=True)))
`;

describe('vosk.stt.v1.StatsService/GetStats on the real service (real libvosk, real Redis, grpc-js and python grpcio clients)', () => {
  const live = useLiveService('grpc-vosk-stats');
  let client: TestGrpcClient;
  let dir: string;
  beforeAll(() => {
    client = new TestGrpcClient(live.svc.service.grpcPort!);
    dir = mkdtempSync(join(tmpdir(), 'voc-vosk-stats-'));
  });
  afterAll(() => {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an idle engine reports its model, workers, capacity and version', async () => {
    const { service, config, modelDir } = live.svc;
    const stats = await client.getStats();
    expect(stats).toMatchObject({
      engine_version: VERSION,
      accepting: true,
      active_calls: 0,
      model_name: basename(modelDir),
      model_sample_rate: service.asr.sampleRate,
      asr_workers: config.asr.workers,
      // No limits.maxConcurrentCalls: the start-up probe measured the capacity.
      capacity_source: 'probe',
      max_concurrent_calls: service.engine.capacity,
    });
    expect(stats.max_concurrent_calls).toBeGreaterThan(0);
    expect(stats.asr_real_time_factor).toBeGreaterThan(0);
    expect(stats.uptime_seconds).toBeGreaterThan(0);
  });

  it('a streamed call moves the figures: active while it runs, started and ended once, its audio received and decoded', async () => {
    const call = buildCallAudio(
      [
        { party: 'customer', atMs: 400, text: 'hello cancel account' },
        { party: 'customer', atMs: 3200, text: 'refund thanks' },
      ],
      { parties: ['customer'], sampleRate: 16000, encoding: 'pcm16' },
    );
    const requests = audioRequests(call.bytes);
    const half = Math.floor(requests.length / 2);
    const before = await client.getStats();

    const stream = client.streamingRecognize();
    await stream.send({ config: { specification: { partial_results: true, audio_encoding: 'LINEAR16_PCM', sample_rate_hertz: 16000 } } });
    await stream.sendAll(requests.slice(0, half), 1, 5);
    // A response answers a decoded chunk: audio has reached the recognizers by then.
    await stream.waitFor(() => true);
    const during = await client.getStats();

    expect(during.active_calls).toBe(before.active_calls + 1);
    expect(during.calls_started).toBe(before.calls_started + 1);
    expect(during.calls_ended).toBe(before.calls_ended);
    expect(voskGrpc(during).active_calls).toBe(voskGrpc(before).active_calls + 1);
    expect(voskGrpc(during).calls_started).toBe(voskGrpc(before).calls_started + 1);
    expect(during.audio_received_seconds).toBeGreaterThan(before.audio_received_seconds);
    expect(during.audio_decoded_seconds).toBeGreaterThan(before.audio_decoded_seconds);
    expect(during.uptime_seconds).toBeGreaterThan(before.uptime_seconds);

    await stream.sendAll(requests.slice(half), 1, 5);
    stream.halfClose();
    const status = await stream.status;
    expect(status.code, status.details).toBe(grpcStatus.OK);
    const after = await client.getStats();

    // The call has ended (the engine counts it before the stream's status goes out).
    expect(after.active_calls).toBe(before.active_calls);
    expect(after.calls_started).toBe(before.calls_started + 1);
    expect(after.calls_ended).toBe(before.calls_ended + 1);
    expect(voskGrpc(after)).toMatchObject({ active_calls: voskGrpc(before).active_calls, calls_ended: voskGrpc(before).calls_ended + 1 });
    // Every byte of the call counted once as received audio; all of it decoded; nothing dropped.
    const received = after.audio_received_seconds - before.audio_received_seconds;
    expect(received).toBeCloseTo(call.bytes.length / 2 / 16000, 3);
    expect(voskGrpc(after).audio_received_seconds - voskGrpc(before).audio_received_seconds).toBeCloseTo(received, 6);
    expect((after.audio_decoded_seconds - before.audio_decoded_seconds) / received).toBeGreaterThan(0.95);
    expect(after.audio_dropped_seconds).toBe(before.audio_dropped_seconds);
    // Its streams are closed: none of its audio is left on the recognizers' queue.
    expect(after.asr_queue_seconds).toBeCloseTo(before.asr_queue_seconds, 3);
  });

  it('python grpcio stubs generated from stats_service.proto call GetStats and exit 0', async () => {
    const out = join(dir, 'ours');
    mkdirSync(out);
    await protoc(join(REPO, 'protos/vosk/stt/v1'), 'stats_service.proto', out);
    const address = `127.0.0.1:${live.svc.service.grpcPort}`;
    const { stdout } = await run(PYTHON, ['-c', PY_GET_STATS, address, 'stats_service'], { env: { ...process.env, PYTHONPATH: out }, timeout: 60_000 });
    const reply = JSON.parse(stdout) as Record<string, unknown> & { protocols: Array<Record<string, unknown>> };
    expect(reply.engine_version).toBe(VERSION);
    expect(reply.model_name).toBe(basename(live.svc.modelDir));
    // proto3 JSON writes 64-bit integers as strings.
    expect(Number(reply.calls_started)).toBeGreaterThanOrEqual(1);
    expect(Number(reply.protocols.find((p) => p.protocol === 'vosk-grpc')?.calls_ended)).toBeGreaterThanOrEqual(1);
  });

  it("a client built on the fork's names only (StatsResponse without our fields) gets a successful reply", async () => {
    // The fork's client knows the path, Empty and the message name; not our fields. Protobuf skips them.
    const out = join(dir, 'fork');
    mkdirSync(out);
    writeFileSync(
      join(out, 'vosk_stt.proto'),
      'syntax = "proto3";\npackage vosk.stt.v1;\nimport "google/protobuf/empty.proto";\nservice StatsService { rpc GetStats (google.protobuf.Empty) returns (StatsResponse); }\nmessage StatsResponse {}\n',
    );
    await protoc(out, 'vosk_stt.proto', out);
    const { stdout } = await run(PYTHON, ['-c', PY_GET_STATS, `127.0.0.1:${live.svc.service.grpcPort}`, 'vosk_stt'], { env: { ...process.env, PYTHONPATH: out }, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({});
  });
});

describe('GetStats authentication and bad requests (auth.apiKeys set)', () => {
  const apiKey = 'stats-test-key-0123';
  const live = useLiveService('grpc-vosk-stats-auth', { auth: { apiKeys: [apiKey] }, limits: { maxConcurrentCalls: 5 }, asr: { capacityProbeMs: 0 } });
  let client: TestGrpcClient;
  beforeAll(() => {
    client = new TestGrpcClient(live.svc.service.grpcPort!);
  });
  afterAll(() => client.close());

  async function refusal(metadata: Record<string, string>): Promise<ServiceError> {
    return client.getStats(metadata).then(
      () => {
        throw new Error('GetStats succeeded');
      },
      (err: ServiceError) => err,
    );
  }

  it('without a key or with a wrong one: UNAUTHENTICATED with the reason, counted; with the key (x-api-key or Bearer): the figures', async () => {
    const errors = await ingestErrorSnapshot(live.svc.httpUrl, 'vosk-grpc');
    const wrong: Array<Record<string, string>> = [{}, { 'x-api-key': 'not-the-key-at-all' }, { authorization: 'Bearer not-the-key-at-all' }];
    for (const metadata of wrong) {
      const err = await refusal(metadata);
      expect(err.code).toBe(grpcStatus.UNAUTHENTICATED);
      expect(err.details).toMatch(/^unauthenticated: missing or unknown API key/);
      expect(err.metadata.get('voc-error-code')).toEqual(['unauthenticated']);
    }
    expect((await errors.grownBy())('unauthenticated')).toBe(3);

    const byHeader = await client.getStats({ 'x-api-key': apiKey });
    const byBearer = await client.getStats({ authorization: `Bearer ${apiKey}` });
    for (const stats of [byHeader, byBearer]) {
      expect(stats).toMatchObject({ engine_version: VERSION, active_calls: 0, max_concurrent_calls: 5, capacity_source: 'config', asr_real_time_factor: 0 });
    }
  });

  it('bytes that are not a google.protobuf.Empty get a gRPC error, and the server carries on', async () => {
    // Field 1, length-delimited, claiming 5 bytes of which 1 follows: does not decode.
    const truncated = Buffer.from([0x0a, 0x05, 0x01]);
    const err = await client
      .unary('/vosk.stt.v1.StatsService/GetStats', () => truncated, (bytes) => bytes, {}, { 'x-api-key': apiKey })
      .then(
        () => {
          throw new Error('GetStats succeeded');
        },
        (e: ServiceError) => e,
      );
    expect(err.code).toBe(grpcStatus.INTERNAL);
    expect(err.details).toMatch(/deserializ/i);
    // An unknown but well-formed field is skipped, as protobuf does.
    const unknownField = Buffer.from([0x0a, 0x01, 0x01]);
    const bytes = await client.unary('/vosk.stt.v1.StatsService/GetStats', () => unknownField, (b) => b, {}, { 'x-api-key': apiKey });
    expect(bytes.length).toBeGreaterThan(0);
    expect((await client.getStats({ 'x-api-key': apiKey })).accepting).toBe(true);
  });
});
