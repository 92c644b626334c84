import { PassThrough } from 'node:stream';
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiKeyCheck } from '../../src/ingest/grpc/auth.js';
import { ResponseWriter } from '../../src/ingest/grpc/response-writer.js';

describe('ResponseWriter backpressure policy', () => {
  it('skips droppable messages while the reader is behind, never the others, and resumes after drain', async () => {
    // A real object-mode stream nobody reads yet: write() returns false once highWaterMark is reached.
    const stream = new PassThrough({ objectMode: true, highWaterMark: 4 });
    const writer = new ResponseWriter<string>(stream);
    for (let i = 0; i < 10; i++) writer.sendDroppable(`partial-${i}`);
    writer.send('final');
    writer.sendDroppable('late-partial');
    expect(writer.dropped).toBeGreaterThan(0);

    const received: string[] = [];
    stream.on('data', (m: string) => received.push(m));
    await new Promise((r) => setImmediate(r));
    writer.sendDroppable('after-drain');
    await new Promise((r) => setImmediate(r));

    expect(received).toContain('final');
    expect(received).toContain('after-drain');
    expect(received).not.toContain('late-partial');
    // Everything not dropped arrives, in order.
    expect(received.length + writer.dropped).toBe(13);
    expect(received.filter((m) => m.startsWith('partial-'))).toEqual(received.slice(0, received.indexOf('final')));
  });

  it('does not write to an ended stream', () => {
    const stream = new PassThrough({ objectMode: true });
    const writer = new ResponseWriter<string>(stream);
    stream.end();
    expect(writer.send('x')).toBe(false);
  });
});

describe('ApiKeyCheck', () => {
  const md = (entries: Record<string, string>) => {
    const m = new Metadata();
    for (const [k, v] of Object.entries(entries)) m.set(k, v);
    return m;
  };

  it('allows everything when no keys are configured', () => {
    expect(new ApiKeyCheck([]).allows(md({}))).toBe(true);
  });

  it('accepts x-api-key or a bearer token, refuses missing, wrong or prefix keys', () => {
    const check = new ApiKeyCheck(['secret-key-1', 'secret-key-2']);
    expect(check.allows(md({ 'x-api-key': 'secret-key-2' }))).toBe(true);
    expect(check.allows(md({ authorization: 'Bearer secret-key-1' }))).toBe(true);
    expect(check.allows(md({}))).toBe(false);
    expect(check.allows(md({ 'x-api-key': 'secret-key' }))).toBe(false);
    expect(check.allows(md({ authorization: 'Basic secret-key-1' }))).toBe(false);
  });
});
