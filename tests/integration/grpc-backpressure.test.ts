import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Metadata, Server, ServerCredentials, credentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadGrpcProtos } from '../../src/ingest/grpc/protos.js';
import { ResponseWriter } from '../../src/ingest/grpc/response-writer.js';

/**
 * The response-stream policy over real HTTP/2 flow control: a server streams 1000 partials (one per
 * ms, far faster than any call produces them) then a summary, through ResponseWriter, to a client that
 * reads and to one that does not read until the end.
 */
const PARTIALS = 1000;
/**
 * Partials sent per 1 ms tick: 1000 a second, still a hundred times what a call produces, but a rate
 * a reading client in the same process keeps up with on busy cores (at 5 per ms it fell behind there).
 */
const PARTIALS_PER_MS = 1;
/** About 220 bytes, a long partial. */
const PARTIAL_TEXT = 'hello recorded verify cancel account refund supervisor guaranteed thanks '.repeat(3);
const protos = loadGrpcProtos();
const method = protos.voc.StreamCall as MethodDefinition<object, Record<string, unknown>>;

describe('gRPC response backpressure (real grpc-js server and client)', () => {
  let server: Server;
  let port: number;
  const reports: Array<{ sent: number; dropped: number }> = [];

  beforeAll(async () => {
    server = new Server();
    server.addService(protos.voc, {
      StreamCall: (call: ServerDuplexStream<unknown, object>) => {
        call.once('data', () => {
          const writer = new ResponseWriter<object>(call);
          let i = 0;
          const timer = setInterval(() => {
            for (let k = 0; k < PARTIALS_PER_MS; k++)
              writer.sendDroppable({ transcript: { call_id: 'bp', party: 'customer', text: PARTIAL_TEXT, start_ms: i++ } });
            if (i < PARTIALS) return;
            clearInterval(timer);
            writer.send({ summary: { call_id: 'bp' } });
            reports.push({ sent: writer.sent, dropped: writer.dropped });
            call.end();
          }, 1);
        });
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });
  afterAll(() => server.forceShutdown());

  async function run(readWhileStreaming: boolean): Promise<{ received: Array<Record<string, unknown>>; sent: number; dropped: number }> {
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new Metadata());
    const received: Array<Record<string, unknown>> = [];
    const status = new Promise((resolve) => call.on('status', resolve));
    call.on('data', (m: Record<string, unknown>) => received.push(m));
    if (!readWhileStreaming) call.pause();
    call.write({ config: { call_id: 'bp' } });
    call.end();
    const before = reports.length;
    while (reports.length === before) await new Promise((r) => setTimeout(r, 20));
    call.resume();
    await status;
    client.close();
    return { received, ...reports[reports.length - 1]! };
  }

  it('a reading client gets (nearly) every partial; a stalled one loses partials, never the summary, and its queue stays bounded', async () => {
    const reading = await run(true);
    const stalled = await run(false);
    console.log(`backpressure: reading client sent ${reading.sent}/${PARTIALS + 1} (dropped ${reading.dropped}); stalled client sent ${stalled.sent} (dropped ${stalled.dropped})`);

    // An ordering, not a rate: a reader on busy cores may fall behind for a moment, but it loses far
    // fewer partials than one that does not read at all.
    expect(reading.dropped).toBeLessThan(stalled.dropped / 2);
    expect(reading.received[reading.received.length - 1]!.summary).toBeDefined();

    // What the stalled client can hold: HTTP/2 windows (64 KiB) + the stream's 16-message buffer.
    expect(stalled.dropped).toBeGreaterThan(PARTIALS / 4);
    expect(stalled.received).toHaveLength(stalled.sent);
    expect(stalled.received[stalled.received.length - 1]!.summary).toBeDefined();
  });
});
