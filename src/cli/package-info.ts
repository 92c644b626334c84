import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's version, read from the package.json above this module (src/cli when run from source,
 * dist/src/cli when built), so `voc --version` matches what was installed.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'voc-engine' && 'version' in parsed)
        return String(parsed.version);
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
