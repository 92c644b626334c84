import { mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ModelError } from '../../src/asr/errors.js';
import { readSampleRate, validateModelDir } from '../../src/asr/model-validate.js';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';

const dirs: string[] = [];
function model(change: (dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'voc-validate-'));
  dirs.push(dir);
  generateTinyModel(dir);
  change(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function problemOf(dir: string): { problem: string; message: string } {
  try {
    validateModelDir(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return { problem: (err as ModelError).problem, message: (err as ModelError).message };
  }
  throw new Error('expected a ModelError');
}

const fstStub = () => {
  const b = Buffer.alloc(64);
  b.writeInt32LE(2125659606, 0);
  return b;
};

describe('validateModelDir', () => {
  test('accepts the generated model: v2 layout, HCLG graph, 16 kHz', () => {
    const dir = model();
    expect(validateModelDir(dir)).toEqual({ dir, layout: 'v2', graph: 'hclg', sampleRate: 16000, warnings: [] });
  });

  test('reads the rate from --sample-frequency (an 8 kHz model)', () => {
    const dir = model((d) => writeFileSync(join(d, 'conf/mfcc.conf'), '--use-energy=false\n--sample-frequency=8000 # narrowband\n'));
    expect(validateModelDir(dir).sampleRate).toBe(8000);
  });

  test('Kaldi default 16000 when the config does not set it; a bad value is a config error', () => {
    const dir = model((d) => writeFileSync(join(d, 'conf/mfcc.conf'), '--use-energy=false\n'));
    expect(readSampleRate(join(dir, 'conf/mfcc.conf'))).toBe(16000);
    writeFileSync(join(dir, 'conf/mfcc.conf'), '--sample-frequency=fast\n');
    expect(problemOf(dir)).toMatchObject({ problem: 'bad_config', message: expect.stringContaining('conf/mfcc.conf: --sample-frequency=fast is not a sample rate') });
  });

  test.each([
    ['conf/model.conf', 'missing_file', 'conf/model.conf is missing'],
    ['am/final.mdl', 'missing_file', 'am/final.mdl is missing'],
    ['conf/mfcc.conf', 'missing_file', 'conf/mfcc.conf is missing'],
    ['graph/HCLG.fst', 'missing_file', 'graph/HCLG.fst is missing'],
    ['graph/words.txt', 'missing_file', 'graph/words.txt is missing'],
  ])('names the missing file: %s', (file, problem, text) => {
    const dir = model((d) => rmSync(join(d, file)));
    const found = problemOf(dir);
    expect(found.problem).toBe(problem);
    expect(found.message).toContain(`Vosk model at ${dir}: ${text}`);
    expect(found.message).toContain('npm run model:download --');
  });

  test('an empty file (interrupted unpack) and a non-FST graph are reported', () => {
    expect(problemOf(model((d) => truncateSync(join(d, 'am/final.mdl'), 0)))).toMatchObject({ problem: 'empty_file', message: expect.stringContaining('am/final.mdl is empty') });
    expect(problemOf(model((d) => writeFileSync(join(d, 'graph/HCLG.fst'), 'not an fst')))).toMatchObject({
      problem: 'corrupt_file',
      message: expect.stringContaining('graph/HCLG.fst is not an OpenFst file'),
    });
  });

  test('missing directory, and a parent folder that contains the model', () => {
    expect(problemOf('/nonexistent/model').problem).toBe('not_found');
    const parent = mkdtempSync(join(tmpdir(), 'voc-validate-parent-'));
    dirs.push(parent);
    generateTinyModel(join(parent, 'vosk-model-small-en-us-0.15'));
    expect(problemOf(parent)).toMatchObject({ problem: 'not_a_model', message: expect.stringContaining(`${parent}/vosk-model-small-en-us-0.15 looks like one`) });
  });

  test('lookahead graph (HCLr.fst + Gr.fst, as in vosk-model-small-en-us-0.15) needs disambig_tid.int', () => {
    const dir = model((d) => {
      rmSync(join(d, 'graph/HCLG.fst'));
      writeFileSync(join(d, 'graph/HCLr.fst'), fstStub());
      writeFileSync(join(d, 'graph/Gr.fst'), fstStub());
    });
    expect(problemOf(dir)).toMatchObject({ problem: 'missing_file', message: expect.stringContaining('graph/disambig_tid.int is missing') });
    writeFileSync(join(dir, 'graph/disambig_tid.int'), '1\n');
    expect(validateModelDir(dir).graph).toBe('lookahead');
  });

  test('old v1 layout (files in the model directory itself)', () => {
    const dir = model((d) => {
      renameSync(join(d, 'am/final.mdl'), join(d, 'final.mdl'));
      renameSync(join(d, 'conf/mfcc.conf'), join(d, 'mfcc.conf'));
      renameSync(join(d, 'graph/HCLG.fst'), join(d, 'HCLG.fst'));
      renameSync(join(d, 'graph/words.txt'), join(d, 'words.txt'));
      renameSync(join(d, 'graph/phones/word_boundary.int'), join(d, 'word_boundary.int'));
      rmSync(join(d, 'conf/model.conf'));
    });
    expect(validateModelDir(dir)).toMatchObject({ layout: 'v1', graph: 'hclg', warnings: [] });
  });

  test('optional parts must be complete; word_boundary.int missing is only a warning', () => {
    const dir = model((d) => {
      mkdirSync(join(d, 'ivector'));
      writeFileSync(join(d, 'ivector/final.ie'), 'x');
    });
    expect(problemOf(dir)).toMatchObject({ problem: 'missing_file', message: expect.stringContaining('ivector/final.dubm is missing') });
    const noBoundary = model((d) => rmSync(join(d, 'graph/phones/word_boundary.int')));
    expect(validateModelDir(noBoundary).warnings).toEqual([expect.stringContaining('word start/end times will be inaccurate')]);
  });
});
