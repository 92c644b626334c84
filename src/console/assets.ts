import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The browser bundle built by scripts/build-console.mjs into dist/console (part of `npm run build`),
 * found above this module whether it runs from src/ (tests) or dist/src/. Loaded once into memory;
 * only files of that directory are ever served (no path from the request reaches the file system).
 */
export function loadConsoleAssets(): Map<string, Asset> | undefined {
  const dir = bundleDir();
  if (!dir) return undefined;
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType) assets.set(name, { body: readFileSync(join(dir, name)), contentType });
  }
  return assets.has('index.html') ? assets : undefined;
}

function bundleDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'dist', 'console');
      return existsSync(candidate) ? candidate : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}
