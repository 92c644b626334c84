import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ModelError } from '../../src/asr/errors.js';
import { STAMP_FILE, probeModel } from '../../src/asr/model-probe.js';
import { validateModelDir } from '../../src/asr/model-validate.js';
import { openEngine, tempTinyModel } from '../helpers/asr.js';

// Broken models against real libvosk: every case must end in a ModelError with a clear message, and
// the test process (which loads libvosk too) must survive, including the case where libvosk aborts.

const models: Array<ReturnType<typeof tempTinyModel>> = [];
function brokenModel(breakIt: (dir: string) => void): string {
  const model = tempTinyModel();
  models.push(model);
  breakIt(model.dir);
  return model.dir;
}
afterEach(() => {
  for (const m of models.splice(0)) m.remove();
});

async function openError(dir: string): Promise<ModelError> {
  const err = await openEngine(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('a missing or broken model is a clear start-up error, never a crash', () => {
  test('directory does not exist', async () => {
    const err = await openError('/nonexistent/vosk-model-small-en-us-0.15');
    expect(err.problem).toBe('not_found');
    expect(err.message).toContain('/nonexistent/vosk-model-small-en-us-0.15: the directory does not exist');
    expect(err.message).toContain('npm run model:download -- vosk-model-small-en-us-0.15');
  });

  test('conf/model.conf missing', async () => {
    const dir = brokenModel((d) => rmSync(join(d, 'conf/model.conf')));
    const err = await openError(dir);
    expect(err.problem).toBe('missing_file');
    expect(err.message).toContain(`Vosk model at ${dir}: conf/model.conf is missing`);
  });

  test('final.mdl truncated: libvosk returns NULL, its own error line is in the message', async () => {
    const dir = brokenModel((d) => truncateSync(join(d, 'am/final.mdl'), 5000));
    const err = await openError(dir);
    expect(err.problem).toBe('load_failed');
    expect(err.message).toContain('libvosk could not load it');
    expect(err.message).toMatch(/libvosk said: "ERROR \(VoskAPI:.*Failed to read/);
    expect(existsSync(join(dir, STAMP_FILE))).toBe(false);
  });

  test('final.mdl inconsistent (libvosk aborts in an assertion): caught in the probe process', async () => {
    // Drop the unused first LogProbs entry: same file, one entry short -> KALDI_ASSERT -> SIGABRT.
    const dir = brokenModel((d) => {
      const path = join(d, 'am/final.mdl');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/<LogProbs> \[ \S+ /, '<LogProbs> [ '));
    });
    const err = await openError(dir);
    expect(err.problem).toBe('crashed');
    expect(err.message).toContain('libvosk crashed (SIGABRT)');
    expect(err.message).toContain('ASSERTION_FAILED');
  });

  test('decoding graph missing (libvosk would load the model, then fail on every recognizer)', async () => {
    const dir = brokenModel((d) => rmSync(join(d, 'graph/HCLG.fst')));
    const err = await openError(dir);
    expect(err.problem).toBe('missing_file');
    expect(err.message).toContain('graph/HCLG.fst is missing');
  });

  test('a good model is probed once; the stamp skips the probe until a file changes', async () => {
    const dir = brokenModel(() => undefined);
    const info = validateModelDir(dir);
    expect((await probeModel(info, 'tiny')).probed).toBe(true);
    expect((await probeModel(info, 'tiny')).probed).toBe(false);
    writeFileSync(join(dir, 'graph/words.txt'), readFileSync(join(dir, 'graph/words.txt'), 'utf8') + '\n');
    expect((await probeModel(info, 'tiny')).probed).toBe(true);
  });
});
