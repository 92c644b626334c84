import { mkdirSync, writeFileSync } from 'node:fs';
import { MODEL_INFO_FILE, type ModelInfo } from '../model-info.js';
import { join } from 'node:path';
import { MEL_BINS, MEL_HIGH_HZ, MEL_LOW_HZ, MODEL_SAMPLE_RATE, TONE_WORDS } from './vocabulary.js';

/**
 * Writes a real Vosk model (Kaldi nnet3 + HCLG) whose words are tones, so tests and benchmarks can
 * drive the real libvosk without downloading a model. Format facts: the project's docs/asr.md
 * ("The tiny test model"). Decoding is deterministic (dither off).
 *
 * The acoustic "network" is one affine layer from 40 MFCCs to one score per pdf (pdf 0 = silence,
 * scoring 0). A word's score is designed on log-mel bins, for the word's band L:
 *   (L - 8) + 4 (L - mean(flanks) - 5) + 0.5 (L - mean(other words' bands))
 * The "peakiness" term (band over its neighbours) keeps broadband noise from being heard as a word.
 * With num-ceps = num-mel-bins and no energy, Kaldi's MFCC is lifter .* (D logmel), D the orthonormal
 * DCT-II, so the inverse is folded into the weights: w_mfcc = (D w_logmel) ./ lifter.
 */

export interface TinyModelOptions {
  /**
   * Identity layers inserted before the scoring layer (results unchanged) so decoding costs about
   * what a real model costs: { count: 6, width: 1536 } is roughly a small Vosk model.
   */
  costLayers?: { count: number; width: number };
  /**
   * Write voc-model.json marking it a test model of tone words (default true), so the engine warns
   * when it is fed speech. false: a model that says nothing about itself, like a real one.
   */
  selfDescribe?: boolean;
}

const WORD_BIAS = -28; // the constants of the score above: -8 + 4 * -5
const WORD_PENALTY = 5.0; // must exceed --lattice-beam, or split words stay in the lattice
const CEPSTRAL_LIFTER = 22;

export function generateTinyModel(dir: string, options: TinyModelOptions = {}): void {
  for (const sub of ['am', 'conf', 'graph/phones']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(
    join(dir, 'conf/mfcc.conf'),
    [
      `--sample-frequency=${MODEL_SAMPLE_RATE}`,
      '--use-energy=false',
      `--num-mel-bins=${MEL_BINS}`,
      `--num-ceps=${MEL_BINS}`,
      `--low-freq=${MEL_LOW_HZ}`,
      `--high-freq=${MEL_HIGH_HZ}`,
      '--dither=0',
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'conf/model.conf'),
    [
      '--min-active=200',
      '--max-active=3000',
      '--beam=10.0',
      '--lattice-beam=2.0',
      '--acoustic-scale=1.0',
      '--frame-subsampling-factor=3',
      '--endpoint.silence-phones=1',
      '--endpoint.rule2.min-trailing-silence=0.5',
      '--endpoint.rule3.min-trailing-silence=0.75',
      '--endpoint.rule4.min-trailing-silence=1.0',
    ].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'graph/words.txt'), ['<eps> 0', ...TONE_WORDS.map((w, i) => `${w.word} ${i + 1}`)].join('\n') + '\n');
  writeFileSync(
    join(dir, 'graph/phones/word_boundary.int'),
    ['1 nonword', ...TONE_WORDS.map((_, i) => `${i + 2} singleton`)].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'graph/HCLG.fst'), hclg(TONE_WORDS.length));
  writeFileSync(join(dir, 'am/final.mdl'), transitionModel(TONE_WORDS.length) + nnet(options));
  if (options.selfDescribe ?? true) {
    const info: ModelInfo = {
      kind: 'test',
      description: `voc-engine's generated tiny model: ${TONE_WORDS.length} words, each a tone`,
      tonesHz: TONE_WORDS.map((w) => Math.round(w.hz * 10) / 10),
    };
    writeFileSync(join(dir, MODEL_INFO_FILE), JSON.stringify(info, null, 2) + '\n');
  }
}

/** Phones: 1 = silence, 1 + k = word k. One emitting state each, self-loop and exit at 0.5. */
function transitionModel(words: number): string {
  const phones = Array.from({ length: words + 1 }, (_, i) => i + 1);
  const transitionIds = 2 * phones.length;
  const logProbs = [0, ...Array.from({ length: transitionIds }, () => Math.log(0.5))];
  return [
    '<TransitionModel> ',
    '<Topology> ',
    '<TopologyEntry> ',
    '<ForPhones> ',
    phones.join(' '),
    '</ForPhones> ',
    '<State> 0 <PdfClass> 0 <Transition> 0 0.5 <Transition> 1 0.5 </State> ',
    '<State> 1 </State> ',
    '</TopologyEntry> ',
    '</Topology> ',
    `<Triples> ${phones.length} `,
    ...phones.map((phone, pdf) => `${phone} 0 ${pdf} `),
    '</Triples> ',
    `<LogProbs> [ ${logProbs.map(num).join(' ')} ]`,
    '</LogProbs> ',
    '</TransitionModel> ',
    '',
  ].join('\n');
}

function nnet(options: TinyModelOptions): string {
  const layers = buildLayers(options);
  const names = layers.map((_, i) => (i === layers.length - 1 ? 'affine' : `carry${i}`));
  const config = [
    `input-node name=input dim=${MEL_BINS}`,
    ...names.map((name, i) => `component-node name=${name} component=${name} input=${i === 0 ? 'input' : names[i - 1]}`),
    'output-node name=output input=affine objective=linear',
  ];
  const parts: string[] = ['<Nnet3> \n', config.join('\n'), '\n\n', `<NumComponents> ${layers.length} \n`];
  layers.forEach((layer, i) => {
    parts.push(`<ComponentName> ${names[i]} <FixedAffineComponent> <LinearParams> [\n`);
    for (const row of layer.rows) parts.push(`  ${row}\n`);
    parts.push(` ]\n<BiasParams> [ ${layer.bias.map(num).join(' ')} ]\n</FixedAffineComponent> \n`);
  });
  parts.push('</Nnet3> \n<LeftContext> 0 <RightContext> 0 <Priors> [ ]\n');
  return parts.join('');
}

interface Layer {
  /** Rows of the weight matrix, each already formatted as space-separated numbers. */
  rows: string[];
  bias: number[];
}

function buildLayers(options: TinyModelOptions): Layer[] {
  const scores = wordScoreLayer();
  const cost = options.costLayers;
  if (!cost || cost.count <= 0) return [{ rows: scores.map((w) => w.row.map(num).join(' ')), bias: scores.map((w) => w.bias) }];
  const width = Math.max(MEL_BINS, cost.width);
  const layers: Layer[] = [];
  // First carry layer: 40 -> width, identity in the first 40 rows; then width -> width identities.
  for (let l = 0; l < cost.count; l++) {
    const inputs = l === 0 ? MEL_BINS : width;
    const rows: string[] = [];
    for (let r = 0; r < width; r++) rows.push(identityRow(r, inputs));
    layers.push({ rows, bias: new Array<number>(width).fill(0) });
  }
  const zeros = ' 0'.repeat(width - MEL_BINS);
  layers.push({ rows: scores.map((w) => w.row.map(num).join(' ') + zeros), bias: scores.map((w) => w.bias) });
  return layers;
}

function identityRow(r: number, inputs: number): string {
  if (r >= inputs) return '0 '.repeat(inputs).trimEnd();
  return ('0 '.repeat(r) + '1 ' + '0 '.repeat(inputs - r - 1)).trimEnd();
}

/** One row per pdf over the 40 MFCCs: silence, then each word. */
function wordScoreLayer(): Array<{ row: number[]; bias: number }> {
  const dct = dctMatrix(MEL_BINS);
  const lifter = Array.from({ length: MEL_BINS }, (_, i) => 1 + 0.5 * CEPSTRAL_LIFTER * Math.sin((Math.PI * i) / CEPSTRAL_LIFTER));
  const bands = TONE_WORDS.map((w) => w.bin);
  const rows = [{ row: new Array<number>(MEL_BINS).fill(0), bias: 0 }];
  for (const word of TONE_WORDS) {
    const logMel = new Array<number>(MEL_BINS).fill(0);
    const flanks = [word.bin - 1, word.bin + 1].filter((b) => b >= 0 && b < MEL_BINS);
    const others = bands.filter((b) => b !== word.bin);
    logMel[word.bin]! += 1 + 4 + 0.5;
    for (const f of flanks) logMel[f]! -= 4 / flanks.length;
    for (const o of others) logMel[o]! -= 0.5 / others.length;
    // w_mfcc[i] = (D w_logmel)[i] / lifter[i]
    const row = dct.map((dRow, i) => dRow.reduce((sum, d, j) => sum + d * logMel[j]!, 0) / lifter[i]!);
    rows.push({ row, bias: WORD_BIAS });
  }
  return rows;
}

/** Kaldi's orthonormal DCT-II (ComputeDctMatrix): row 0 is sqrt(1/N), row k sqrt(2/N) cos(pi k (n + 0.5) / N). */
function dctMatrix(n: number): number[][] {
  return Array.from({ length: n }, (_, k) =>
    Array.from({ length: n }, (_, j) => (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n) * Math.cos((Math.PI * k * (j + 0.5)) / n))),
  );
}

/**
 * HCLG as an OpenFst binary VectorFst (standard arcs): state 0 = silence (start), state k = word k,
 * all final. Every state has the exit (first-frame) arc of every phone, and its own phone's self-loop.
 */
function hclg(words: number): Buffer {
  const states = words + 1;
  const exitTid = (phoneIndex: number) => 2 * phoneIndex + 2; // phone index 0 = silence
  const loopTid = (phoneIndex: number) => 2 * phoneIndex + 1;
  const arcsPerState = states + 1;
  const header = Buffer.concat([int32(2125659606), fstString('vector'), fstString('standard'), int32(2), int32(0)]);
  const counts = Buffer.alloc(8 * 4);
  counts.writeBigUInt64LE(3n, 0); // properties: expanded | mutable
  counts.writeBigInt64LE(0n, 8); // start state
  counts.writeBigInt64LE(BigInt(states), 16);
  counts.writeBigInt64LE(BigInt(states * arcsPerState), 24);
  const body = Buffer.alloc(states * (4 + 8 + arcsPerState * 16));
  let at = 0;
  for (let s = 0; s < states; s++) {
    at = body.writeFloatLE(0, at); // final weight 0
    at = Number(body.writeBigInt64LE(BigInt(arcsPerState), at));
    for (let p = 0; p < states; p++) {
      at = body.writeInt32LE(exitTid(p), at);
      at = body.writeInt32LE(p, at); // output: word id p (0 = epsilon for silence)
      at = body.writeFloatLE(p === 0 ? 0 : WORD_PENALTY, at);
      at = body.writeInt32LE(p, at);
    }
    at = body.writeInt32LE(loopTid(s), at);
    at = body.writeInt32LE(0, at);
    at = body.writeFloatLE(0, at);
    at = body.writeInt32LE(s, at);
  }
  return Buffer.concat([header, counts, body]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}

function fstString(text: string): Buffer {
  return Buffer.concat([int32(text.length), Buffer.from(text, 'ascii')]);
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(8);
}
