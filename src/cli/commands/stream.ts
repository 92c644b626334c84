import type { CommandModule } from 'yargs';
import { CALL_ID_PATTERN } from '../../publish/keys.js';
import type { Config } from '../../config/schema.js';
import { loadCliConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

interface StreamArgs {
  file: string;
  url?: string;
  config?: string;
  'call-id'?: string;
  parties?: string[];
  language: string;
  speed: number;
  'frame-ms': number;
  json: boolean;
  partials: boolean;
}

const DEFAULT_URL = 'ws://127.0.0.1:8080/v1/stream';

/** The engine of this machine's config: server.port (VOC_PORT), server.host (a wildcard means this machine), wss with server.tls. */
export function configuredStreamUrl(config: Config): string {
  const { host, port, tls } = config.server;
  const reachable = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'wss' : 'ws'}://${reachable}:${port}/v1/stream`;
}

/** `voc stream <file.wav>`: the reference client of /v1/stream, playing a recording as a live call. */
export function streamCommand(io: CliIo): CommandModule<object, StreamArgs> {
  return {
    command: 'stream <file>',
    describe: 'Stream a WAV file to a running engine (/v1/stream) as a live call and print its events',
    builder: (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'A WAV file: PCM16, mu-law or A-law; mono or stereo; a rate the engine allows (8 or 16 kHz by default)' })
        .option('url', { type: 'string', describe: "The engine's /v1/stream endpoint (default: this machine's engine as the config says: server.port / VOC_PORT, server.host, server.tls)" })
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml)' })
        .option('call-id', { type: 'string', describe: 'callId of the call (default: <file name>-<random>)' })
        .option('parties', {
          type: 'string',
          describe: 'Party of each channel, comma-separated (default: mono "customer", stereo "customer,agent")',
          coerce: (value: string) => value.split(',').map((p) => p.trim()),
        })
        .option('language', { type: 'string', default: 'en', describe: 'Language tag of the call' })
        .option('speed', { type: 'number', default: 1, describe: 'Times real time (1 = like a live call; 0 = as fast as the socket drains, which can outrun the recognizers)' })
        .option('frame-ms', { type: 'number', default: 20, describe: 'Audio per binary frame, ms' })
        .option('json', { type: 'boolean', default: false, describe: 'Print every server message as received (JSON lines)' })
        .option('partials', { type: 'boolean', default: false, describe: 'Print partial transcripts too' })
        .check((a) => {
          if (!Number.isFinite(a.speed) || a.speed < 0) throw new UsageError('--speed must be a number of at least 0 (0 = as fast as possible)');
          if (!Number.isInteger(a['frame-ms']) || a['frame-ms'] < 1 || a['frame-ms'] > 1000) throw new UsageError('--frame-ms must be a whole number from 1 to 1000');
          if (a['call-id'] !== undefined && !CALL_ID_PATTERN.test(a['call-id'])) throw new UsageError('--call-id: 1-128 characters of A-Z a-z 0-9 . _ : @ -');
          if (a.parties) {
            if (a.parties.some((p) => p.length === 0)) throw new UsageError('--parties: empty party name');
            if (new Set(a.parties).size !== a.parties.length) throw new UsageError('--parties: names must be distinct');
          }
          if (a.url === undefined) return true;
          let url: URL;
          try {
            url = new URL(a.url);
          } catch {
            throw new UsageError(`--url ${a.url}: not a URL (expected e.g. ${DEFAULT_URL})`);
          }
          if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`--url ${a.url}: must start with ws:// or wss://`);
          return true;
        })
        .example('$0 stream call.wav', 'play call.wav in real time to the engine on this machine')
        .example('$0 stream call.wav --speed 0 --json', 'as fast as the socket drains, raw events')
        .example('$0 stream mono.wav --url ws://voc.internal:8080/v1/stream --call-id c-42', 'another engine, a chosen callId'),
    handler: async (args) => {
      const { runStream } = await import('../stream/run.js');
      const url = args.url ?? configuredStreamUrl(loadCliConfig(args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env).config);
      await runStream(
        {
          file: args.file,
          url,
          callId: args['call-id'],
          parties: args.parties,
          language: args.language,
          speed: args.speed,
          frameMs: args['frame-ms'],
          json: args.json,
          partials: args.partials,
        },
        io,
      );
    },
  };
}
