import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CONTRACTS } from '../../src/events/contracts/catalog.js';
import { generateContracts } from '../../src/events/contracts/generate.js';
import { REPO } from '../helpers/cli.js';

const SCHEMAS_DIR = join(REPO, 'docs', 'schemas');

function checkedIn(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of readdirSync(SCHEMAS_DIR, { recursive: true, withFileTypes: true }))
    if (d.isFile()) files.set(relative(SCHEMAS_DIR, join(d.parentPath, d.name)), readFileSync(join(d.parentPath, d.name), 'utf8'));
  return files;
}

/** Every `$ref` string in a JSON value. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), doc);
}

describe('docs/schemas (generated from the zod schemas)', () => {
  it('is up to date: run `npm run schemas` after changing a wire schema', () => {
    const generated = generateContracts();
    const onDisk = checkedIn();
    expect([...onDisk.keys()].sort(), 'files in docs/schemas').toEqual([...generated.keys()].sort());
    for (const [path, content] of generated) expect(onDisk.get(path), `docs/schemas/${path} is stale: run npm run schemas`).toBe(content);
  });

  it('every JSON Schema compiles in a real validator and tells valid from invalid messages', () => {
    const ajv = new Ajv2020({ strict: false });
    for (const contract of CONTRACTS) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, `${contract.name}.json`), 'utf8')) as object;
      const validate = ajv.compile(schema);
      // Nothing the engine exchanges is a bare string, or an empty object (but fork metadata, all optional).
      if (contract.name !== 'fork/metadata') expect(validate({}), `${contract.name} accepts {}`).toBe(false);
      expect(validate('text'), `${contract.name} accepts a string`).toBe(false);
    }
    const start = ajv.getSchema('urn:voc-engine:schemas:stream/start.json');
    expect(start?.({ type: 'start', callId: 'c1', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['customer', 'agent'] })).toBe(true);
    // start is strict: an unknown field is rejected, as the server does.
    expect(start?.({ type: 'start', callId: 'c1', encoding: 'mulaw', sampleRate: 8000, channels: 2, parties: ['a'], extra: 1 })).toBe(false);
    // Events allow added fields (fields may be added within a version).
    const alert = ajv.getSchema('urn:voc-engine:schemas:events/alert.json');
    const sample = { type: 'alert', v: 1, id: 'a', callId: 'c', kind: 'keyword', category: 'x', severity: 'high', startMs: 1, endMs: 2, raisedAt: '2026-01-01T00:00:00Z' };
    expect(alert?.(sample)).toBe(true);
    expect(alert?.({ ...sample, newField: true })).toBe(true);
    expect(alert?.({ ...sample, severity: 'urgent' })).toBe(false);
  });

  it('the AsyncAPI 3 document resolves every $ref and describes /v1/stream and the Redis channels', () => {
    const doc = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'asyncapi.json'), 'utf8')) as Record<string, unknown>;
    expect(doc.asyncapi).toBe('3.0.0');
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(20);
    for (const ref of all) expect(resolvePointer(doc, ref), `unresolved ${ref}`).toBeDefined();
    const channels = doc.channels as Record<string, { address: string; messages: Record<string, unknown> }>;
    expect(channels.stream?.address).toBe('/v1/stream');
    expect(Object.keys(channels.stream?.messages ?? {})).toEqual(
      expect.arrayContaining(['stream.start', 'stream.stop', 'stream.audio', 'stream.started', 'events.transcript', 'events.alert', 'events.summary', 'events.error', 'events.warning']),
    );
    expect(Object.values(channels).map((c) => c.address)).toEqual(
      expect.arrayContaining(['{prefix}:alerts', '{prefix}:calls', '{prefix}:call:{callId}', '{prefix}:call:{callId}:summary', '{prefix}:call:{callId}:alerts']),
    );
    // Operations point at messages of their own channel.
    for (const [name, op] of Object.entries(doc.operations as Record<string, { channel: { $ref: string }; messages: Array<{ $ref: string }> }>))
      for (const m of op.messages) expect(m.$ref.startsWith(`${op.channel.$ref}/messages/`), `${name}: ${m.$ref}`).toBe(true);
  });
});
