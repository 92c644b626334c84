// Bundles the supervisor console (src/console/web) into dist/console with esbuild: one JS file, one
// CSS file (uPlot's stylesheet included) and index.html. No CDN: the engine serves these files itself.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/console';
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: ['src/console/web/main.tsx'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir,
  logLevel: 'warning',
  legalComments: 'none',
});
copyFileSync('src/console/web/index.html', `${outdir}/index.html`);
