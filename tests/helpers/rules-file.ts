import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Registers beforeAll/afterAll that write `text` to rules.yaml in a fresh temp dir and remove the dir.
 * Call it before useLiveService: the file then exists when the service starts and goes after it closes.
 */
export function useRulesFile(dirPrefix: string, text: string): { readonly path: string } {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), dirPrefix));
    writeFileSync(join(dir, 'rules.yaml'), text);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get path() {
      if (!dir) throw new Error('useRulesFile: path read before beforeAll wrote the file');
      return join(dir, 'rules.yaml');
    },
  };
}
