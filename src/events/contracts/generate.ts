import { z } from 'zod';
import { CONTRACTS, type ContractEntry } from './catalog.js';

/**
 * Builds docs/schemas/ from the zod schemas: one JSON Schema (draft 2020-12) per contract, an
 * AsyncAPI 3 document for /v1/stream and the Redis channels and streams, and an index. Pure: returns
 * file path -> content; `npm run schemas` writes them, a test compares them with the checked-in files.
 */

const BASE_ID = 'urn:voc-engine:schemas:';
type JsonObject = Record<string, unknown>;

function jsonSchema(entry: ContractEntry, target: 'draft-2020-12' | 'draft-7'): JsonObject {
  // `in`: what a sender may omit (fields with defaults) is optional; `out`: what the engine emits.
  // Both as `input` so plain objects allow added fields (fields may be added within a version);
  // strict client messages (.strict()) still forbid unknown fields.
  const schema = z.toJSONSchema(entry.schema, { target, io: 'input', unrepresentable: 'any' }) as JsonObject;
  const { $schema, ...body } = schema;
  return { $schema, $id: `${BASE_ID}${entry.name}.json`, title: entry.title, description: entry.description, ...withoutMeta(body) };
}

/** Title and description come from the catalog entry; drop the schema's own top-level ones. */
function withoutMeta(body: JsonObject): JsonObject {
  const { title: _title, description: _description, ...rest } = body;
  return rest;
}

function stableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const byName = (name: string): ContractEntry => {
  const entry = CONTRACTS.find((c) => c.name === name);
  if (!entry) throw new Error(`no contract ${name}`);
  return entry;
};

/** AsyncAPI component key for a contract: `stream/start` -> `stream.start`. */
const key = (name: string): string => name.replace('/', '.');

function messageRef(name: string): JsonObject {
  return { $ref: `#/components/messages/${key(name)}` };
}

const STREAM_IN = ['stream/start', 'stream/utterance', 'stream/stop'];
const STREAM_OUT = ['stream/started', 'events/transcript', 'events/alert', 'events/alert_withdrawn', 'events/warning', 'events/summary', 'events/error'];
const ALERTS = ['events/alert', 'events/alert_withdrawn'];

export function asyncApiDocument(): JsonObject {
  const used = new Set([...STREAM_IN, ...STREAM_OUT, 'redis/call-started', 'redis/call-ended', 'redis/alert-stream-entry', 'redis/call-hash']);
  const schemas: JsonObject = {};
  const messages: JsonObject = {};
  for (const name of used) {
    const entry = byName(name);
    const { $schema: _s, $id: _i, ...schema } = jsonSchema(entry, 'draft-7');
    schemas[key(name)] = schema;
    messages[key(name)] = {
      name: entry.title,
      title: entry.title,
      summary: entry.description,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${key(name)}` },
    };
  }
  messages['stream.audio'] = {
    name: 'audio',
    title: 'audio',
    summary: 'Binary frame: interleaved audio in the encoding, rate and channel count announced by start',
    contentType: 'application/octet-stream',
    payload: { type: 'string', format: 'binary' },
  };
  const refs = (names: string[]): JsonObject => Object.fromEntries(names.map((n) => [key(n), messageRef(n)]));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'voc-engine',
      version: '1',
      description:
        'Real-time speech analytics engine. Clients stream a call on /v1/stream and receive transcripts, alerts and a summary; ' +
        'the engine publishes alerts and call lifecycle to Redis. Every JSON message has `type` and `v` (schema version); ' +
        'fields may be added within a version. Times are milliseconds from call start unless the name ends in `At` (ISO-8601). ' +
        'Generated from the zod schemas by `npm run schemas`; do not edit.',
      license: { name: 'Apache-2.0' },
    },
    servers: {
      engine: { host: 'localhost:8080', protocol: 'ws', description: 'server.port of the config (VOC_PORT)' },
      redis: { host: 'localhost:6379', protocol: 'redis', description: 'redis.url of the config; <prefix> is redis.prefix (default voc)' },
    },
    channels: {
      stream: {
        address: '/v1/stream',
        servers: [{ $ref: '#/servers/engine' }],
        title: 'Native call stream',
        description: 'One call per connection: start, binary audio, stop. The server answers started, then events; the summary is last, then the server closes (1000). An error event precedes any close for bad input.',
        messages: { ...refs(STREAM_IN), 'stream.audio': { $ref: '#/components/messages/stream.audio' }, ...refs(STREAM_OUT) },
      },
      alerts: {
        address: '{prefix}:alerts',
        servers: [{ $ref: '#/servers/redis' }],
        title: 'Alert pub/sub channel',
        description: 'PUBLISH of every alert and alert_withdrawn event of all calls, as JSON text.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' } },
        messages: refs(ALERTS),
      },
      alertStream: {
        address: '{prefix}:alerts',
        servers: [{ $ref: '#/servers/redis' }],
        title: 'Global alert stream',
        description: 'Redis STREAM (XADD MAXLEN ~ redis.alertStreamMaxLen); each entry has one field `event` holding an alert or alert_withdrawn as JSON text.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' } },
        messages: refs(['redis/alert-stream-entry']),
      },
      callAlertStream: {
        address: '{prefix}:call:{callId}:alerts',
        servers: [{ $ref: '#/servers/redis' }],
        title: "A call's alert stream",
        description: 'Redis STREAM of one call; entries as in the global alert stream.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' }, callId: { description: 'The callId in braces, e.g. {abc-123} (a Redis Cluster hash tag)' } },
        messages: refs(['redis/alert-stream-entry']),
      },
      calls: {
        address: '{prefix}:calls',
        servers: [{ $ref: '#/servers/redis' }],
        title: 'Call lifecycle pub/sub channel',
        description: 'PUBLISH of call_started and call_ended as JSON text.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' } },
        messages: refs(['redis/call-started', 'redis/call-ended']),
      },
      callHash: {
        address: '{prefix}:call:{callId}',
        servers: [{ $ref: '#/servers/redis' }],
        title: 'Call state',
        description: 'Redis HASH written at call start and end (HGETALL to read); expires redis.retentionMs after the call ends.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' }, callId: { description: 'The callId in braces, e.g. {abc-123} (a Redis Cluster hash tag)' } },
        messages: refs(['redis/call-hash']),
      },
      callSummary: {
        address: '{prefix}:call:{callId}:summary',
        servers: [{ $ref: '#/servers/redis' }],
        title: 'Call summary',
        description: 'Redis STRING (SET at call end): the summary event as JSON text; expires redis.retentionMs after the call ends.',
        parameters: { prefix: { default: 'voc', description: 'redis.prefix' }, callId: { description: 'The callId in braces, e.g. {abc-123} (a Redis Cluster hash tag)' } },
        messages: refs(['events/summary']),
      },
    },
    operations: {
      receiveCall: {
        action: 'receive',
        channel: { $ref: '#/channels/stream' },
        summary: 'The engine receives a call: start, audio frames, stop',
        messages: [...STREAM_IN.map((n) => ({ $ref: `#/channels/stream/messages/${key(n)}` })), { $ref: '#/channels/stream/messages/stream.audio' }],
      },
      sendCallEvents: {
        action: 'send',
        channel: { $ref: '#/channels/stream' },
        summary: 'The engine sends started, transcripts, alerts, warnings and the summary (last); or an error',
        messages: STREAM_OUT.map((n) => ({ $ref: `#/channels/stream/messages/${key(n)}` })),
      },
      publishAlerts: {
        action: 'send',
        channel: { $ref: '#/channels/alerts' },
        messages: ALERTS.map((n) => ({ $ref: `#/channels/alerts/messages/${key(n)}` })),
      },
      appendAlertStream: {
        action: 'send',
        channel: { $ref: '#/channels/alertStream' },
        messages: [{ $ref: '#/channels/alertStream/messages/redis.alert-stream-entry' }],
      },
      appendCallAlertStream: {
        action: 'send',
        channel: { $ref: '#/channels/callAlertStream' },
        messages: [{ $ref: '#/channels/callAlertStream/messages/redis.alert-stream-entry' }],
      },
      publishCallLifecycle: {
        action: 'send',
        channel: { $ref: '#/channels/calls' },
        messages: ['redis/call-started', 'redis/call-ended'].map((n) => ({ $ref: `#/channels/calls/messages/${key(n)}` })),
      },
      writeCallHash: {
        action: 'send',
        channel: { $ref: '#/channels/callHash' },
        messages: [{ $ref: '#/channels/callHash/messages/redis.call-hash' }],
      },
      writeCallSummary: {
        action: 'send',
        channel: { $ref: '#/channels/callSummary' },
        messages: [{ $ref: '#/channels/callSummary/messages/events.summary' }],
      },
    },
    components: { schemas, messages },
  };
}

function indexMarkdown(): string {
  const rows = CONTRACTS.map((c) => `| [${c.name}.json](${c.name}.json) | ${c.direction} | \`${c.title}\` | ${c.description.replace(/\|/g, '\\|')} |`);
  return [
    '# Machine-readable contracts',
    '',
    'Generated from the zod schemas in `src/` by `npm run schemas` (src/events/contracts/); do not edit by hand.',
    'A test fails when these files are stale. `in`: what the engine accepts; `out`: what it sends or writes.',
    '',
    '- [asyncapi.json](asyncapi.json): AsyncAPI 3 document for `/v1/stream` and the Redis channels, streams and keys.',
    '- JSON Schema (draft 2020-12), one file per message:',
    '',
    '| Schema | Direction | Message | What |',
    '|---|---|---|---|',
    ...rows,
    '',
    'Every JSON message has `type` (or, for third-party protocols, their own discriminator) and `v`, the schema version.',
    'Fields may be added within a version, so consumers must ignore unknown fields; the schemas of what the engine',
    'sends allow them. Prose: [stream protocol](../stream-protocol.md), [vosk protocol](../protocols/vosk.md).',
    '',
  ].join('\n');
}

/** docs/schemas/ as path (relative to it) -> file content. */
export function generateContracts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of CONTRACTS) files.set(`${entry.name}.json`, stableJson(jsonSchema(entry, 'draft-2020-12')));
  files.set('asyncapi.json', stableJson(asyncApiDocument()));
  files.set('README.md', indexMarkdown());
  return files;
}
