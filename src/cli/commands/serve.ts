import type { CommandModule } from 'yargs';
import { loadCliConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

interface ServeArgs {
  config?: string;
  'redis-timeout'?: number;
}

/** `voc serve`: the engine, until SIGTERM/SIGINT. */
export function serveCommand(io: CliIo): CommandModule<object, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Run the engine: WebSocket and gRPC ingest, /metrics, /healthz, /readyz; graceful shutdown on SIGTERM',
    builder: (y) =>
      y
        .option('config', { type: 'string', describe: 'Config file (default: VOC_CONFIG, else config/voc.yaml)' })
        .option('redis-timeout', {
          type: 'number',
          describe: 'Exit with code 4 if Redis has not answered within this many ms of start (default: serve, not ready, keep retrying)',
        })
        .check((a) => {
          const t = a['redis-timeout'];
          if (t !== undefined && !(Number.isFinite(t) && t >= 0)) throw new UsageError('--redis-timeout must be a number of ms');
          return true;
        })
        .example('$0 serve', 'with config/voc.yaml')
        .example('VOC_CONFIG=/etc/voc.yaml VOC_PORT=9000 $0 serve', 'another file, another port'),
    handler: async (args) => {
      const env = args.config ? { ...process.env, VOC_CONFIG: args.config } : process.env;
      const { config, file } = loadCliConfig(env);
      const { runServe } = await import('../serve/run.js');
      await runServe(config, { configFile: file, redisTimeoutMs: args['redis-timeout'] }, io);
    },
  };
}
