import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateContracts } from './generate.js';

/** `npm run schemas`: (re)writes docs/schemas/ from the zod schemas, removing files no longer generated. */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const outDir = join(repoRoot, 'docs', 'schemas');

const files = generateContracts();
for (const existing of listFiles(outDir)) if (!files.has(existing)) rmSync(join(outDir, existing));
for (const [path, content] of files) {
  mkdirSync(dirname(join(outDir, path)), { recursive: true });
  writeFileSync(join(outDir, path), content);
}
process.stdout.write(`schemas: wrote ${files.size} files to ${relative(process.cwd(), outDir) || '.'}\n`);

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => relative(dir, join(d.parentPath, d.name)));
  } catch {
    return [];
  }
}
