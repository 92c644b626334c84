import { userInfo } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { VocReader } from '../../publish/voc-reader.js';
import { SpikeNotFoundError, updateSpike } from '../../publish/voc-spikes.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { vocRedisOptions, withVocRedis, type VocRedisArgs } from '../voc-redis.js';
import { formatSpike } from './drivers.js';

interface UpdateArgs extends VocRedisArgs {
  id: string;
  note: string;
  by?: string;
  json: boolean;
}

interface ListArgs extends VocRedisArgs {
  limit: number;
  json: boolean;
}

function whoami(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `voc spikes list|ack|resolve`: the follow-up loop on spikes (who did what, and when). */
export function spikesCommand(io: CliIo): CommandModule {
  const update = (action: 'ack' | 'resolve', describe: string): CommandModule<object, UpdateArgs> => ({
    command: `${action} <id>`,
    describe,
    builder: (y) =>
      vocRedisOptions(
        y
          .positional('id', { type: 'string', demandOption: true, describe: 'Spike id (voc spikes list, voc drivers)' })
          .option('note', { type: 'string', default: '', describe: 'What was done or found' })
          .option('by', { type: 'string', describe: 'Who (default: the OS user)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the updated spike as JSON' }),
      ),
    handler: async (args) => {
      if (args.note.length > 2000) throw new CliError(EXIT.usage, '--note is limited to 2000 characters');
      await withVocRedis(args, `voc-spikes-${action}`, async (redis, config, prefix) => {
        try {
          const record = await updateSpike(redis, prefix, config.voc.bucketMs, {
            id: args.id,
            action,
            by: (args.by ?? whoami()).slice(0, 200),
            note: args.note,
            at: new Date(),
            departmentStreamMaxLen: config.voc.departmentStreamMaxLen,
            retentionMs: config.voc.hourRetentionMs,
          });
          io.out(args.json ? JSON.stringify(record) : formatSpike(record));
        } catch (err) {
          if (err instanceof SpikeNotFoundError) throw new CliError(EXIT.failure, `${err.message} (see voc spikes list)`);
          throw err;
        }
      });
    },
  });
  const list: CommandModule<object, ListArgs> = {
    command: 'list',
    describe: 'Spikes, newest first',
    builder: (y) =>
      vocRedisOptions(
        y
          .option('limit', { type: 'number', default: 20, describe: 'How many' })
          .option('json', { type: 'boolean', default: false, describe: 'One JSON line per spike' }),
      ),
    handler: async (args) => {
      await withVocRedis(args, 'voc-spikes-list', async (redis, config, prefix) => {
        const spikes = await new VocReader(redis, prefix, config.voc.bucketMs).spikes({ limit: args.limit });
        if (spikes.length === 0 && !args.json) io.err('no spikes');
        for (const s of spikes) io.out(args.json ? JSON.stringify(s) : formatSpike(s));
      });
    },
  };
  return {
    command: 'spikes',
    describe: 'List spikes and record the follow-up (ack, resolve)',
    builder: (y: Argv) =>
      y
        .command(list)
        .command(update('ack', 'Acknowledge a spike: someone is on it'))
        .command(update('resolve', 'Resolve a spike: the cause was fixed (voc drivers then shows the rate before and after)'))
        .demandCommand(1, 'name a spikes command: list, ack or resolve'),
    handler: () => {},
  };
}
