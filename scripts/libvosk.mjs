#!/usr/bin/env node
// postinstall: puts the libvosk shared library that the `vosk` npm package ships into
// node_modules/.libvosk/<version>/ (src/asr/libvosk.ts loads it from there through koffi).
//
// Why not a plain dependency on `vosk`: its JavaScript half needs ffi-napi, which no longer builds
// on current Node without npm overrides to a fork. The engine binds libvosk itself (koffi) and only
// needs the library, so it takes the package's tarball with npm's own client (`npm pack`, checked
// against the pinned integrity) and extracts the one file for this platform. Set VOC_LIBVOSK to
// use another libvosk (then nothing is fetched).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '0.3.39';
const INTEGRITY = 'sha512-/pWD6KLLxV/0Pu/ZfovNWadFC6q01hyvzY5DTEQY5r/6QlQMg60FaY1bjK0qcWN42roNOOnRrBxtAOqk7/OGkw==';
const FILES = {
  linux: ['linux-x86_64/libvosk.so'],
  darwin: ['osx-universal/libvosk.dylib'],
  win32: ['win-x86_64/libvosk.dll', 'win-x86_64/libgcc_s_seh-1.dll', 'win-x86_64/libstdc++-6.dll', 'win-x86_64/libwinpthread-1.dll'],
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dest = join(root, 'node_modules', '.libvosk', VERSION);
const files = FILES[process.platform];

if (process.env.VOC_LIBVOSK) process.exit(0);
if (!files) {
  process.stderr.write(`libvosk: the vosk package ships no library for ${process.platform}; set VOC_LIBVOSK to a libvosk you built\n`);
  process.exit(0);
}
if (files.every((f) => existsSync(join(dest, f)))) process.exit(0);

const work = mkdtempSync(join(tmpdir(), 'voc-libvosk-'));
try {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = JSON.parse(execFileSync(npm, ['pack', `vosk@${VERSION}`, '--json', '--pack-destination', work], { encoding: 'utf8', shell: process.platform === 'win32' }));
  const tarball = join(work, packed[0].filename);
  const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (digest !== INTEGRITY) throw new Error(`vosk-${VERSION}.tgz integrity ${digest} does not match the pinned ${INTEGRITY}`);
  execFileSync('tar', ['-xzf', tarball, '-C', work, ...files.map((f) => `package/lib/${f}`)]);
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(work, 'package', 'lib', f), join(dest, f)); // tmp may be another file system
    chmodSync(join(dest, f), 0o755);
  }
  process.stderr.write(`libvosk: vosk ${VERSION}'s ${files[0]} installed in ${dest}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
