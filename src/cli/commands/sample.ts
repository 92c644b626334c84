import { writeFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

interface SampleArgs {
  out: string;
  tiny: boolean;
  voice: string;
}

/** `voc sample <out.wav>`: a two-party sample call to try the engine with (`voc stream`, `voc replay`). */
export function sampleCommand(io: CliIo): CommandModule<object, SampleArgs> {
  return {
    command: 'sample <out>',
    describe: 'Write a sample two-party call (stereo mu-law 8 kHz: channel 0 customer, channel 1 agent)',
    builder: (y) =>
      y
        .positional('out', { type: 'string', demandOption: true, describe: 'The WAV file to write' })
        .option('tiny', { type: 'boolean', default: false, describe: "A call in the tiny test model's tone words (for a model made by `npm run model:tiny`)" })
        .option('voice', { type: 'string', default: 'en-us', describe: 'espeak-ng language voice; the agent speaks with variant m3, the customer with f3' })
        .example('$0 sample call.wav && $0 stream call.wav', 'an English call (espeak-ng), streamed to the engine')
        .example('$0 sample --tiny tiny.wav', 'a call the tiny test model understands'),
    handler: async (args) => {
      const { wav, durationMs, how } = args.tiny ? await tiny() : await english(args.voice);
      try {
        await writeFile(args.out, wav);
      } catch (err) {
        throw new CliError(EXIT.failure, `cannot write ${args.out}: ${err instanceof Error ? err.message : String(err)}`);
      }
      io.err(`voc sample: wrote ${args.out}: ${(durationMs / 1000).toFixed(1)} s, ${how}, stereo mu-law 8 kHz (channel 0 customer, channel 1 agent)`);
    },
  };
}

async function tiny(): Promise<{ wav: Buffer; durationMs: number; how: string }> {
  const { tinySampleWav } = await import('../sample/tiny-call.js');
  return { ...tinySampleWav(), how: 'tiny-model tone words' };
}

async function english(voice: string): Promise<{ wav: Buffer; durationMs: number; how: string }> {
  const { englishSampleWav } = await import('../sample/english-call.js');
  const { EspeakMissingError } = await import('../sample/espeak.js');
  try {
    return { ...(await englishSampleWav(voice)), how: `English dialogue (espeak-ng ${voice})` };
  } catch (err) {
    if (err instanceof EspeakMissingError) throw new CliError(EXIT.failure, 'espeak-ng was not found: install espeak-ng (apt-get install espeak-ng) or use --tiny');
    throw new CliError(EXIT.failure, err instanceof Error ? err.message : String(err));
  }
}
