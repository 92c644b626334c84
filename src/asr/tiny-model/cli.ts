/**
 * `npm run model:tiny -- <dir> [--realistic-cost]`: writes the tiny tone-word test model, e.g. to try
 * the service without downloading a real model (its words are tones: see vocabulary.ts).
 */
import { resolve } from 'node:path';
import { generateTinyModel } from './generate.js';
import { TONE_WORDS } from './vocabulary.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
if (!dir) {
  process.stderr.write('usage: npm run model:tiny -- <dir> [--realistic-cost]\n');
  process.exit(2);
}
generateTinyModel(resolve(dir), args.includes('--realistic-cost') ? { costLayers: { count: 6, width: 1536 } } : {});
process.stdout.write(`tiny model written to ${resolve(dir)}\nwords (tone Hz): ${TONE_WORDS.map((w) => `${w.word} ${Math.round(w.hz)}`).join(', ')}\n`);
