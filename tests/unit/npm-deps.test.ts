import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

/**
 * scripts/npm-deps.sh (what `npm run quickstart` runs through setup.sh) on a scratch project. `npm`
 * is a recording stand-in on PATH: a real `npm ci` takes minutes and the network; what is under test
 * is the script's decision to run it.
 */
describe('quickstart installs npm dependencies only when package-lock.json changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voc-npm-deps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const project = join(dir, 'project');
  const log = join(dir, 'npm.log');
  mkdirSync(bin);
  mkdirSync(project);
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "$@" >> "${log}"\nmkdir -p node_modules\n`);
  chmodSync(join(bin, 'npm'), 0o755);

  const run = () => execFileSync('bash', [join(REPO, 'scripts/npm-deps.sh'), project], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  const installs = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);

  it('runs npm ci the first time, skips it while the lockfile is unchanged, runs it again after a change', () => {
    writeFileSync(join(project, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {}}');
    run();
    expect(installs()).toBe(1);
    expect(readFileSync(log, 'utf8')).toContain('ci --no-audit --no-fund');
    expect(run()).toContain('skipping npm ci');
    expect(installs()).toBe(1);
    writeFileSync(join(project, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {"node_modules/x": {}}}');
    run();
    expect(installs()).toBe(2);
    // node_modules removed: installs again even though the lockfile did not change.
    rmSync(join(project, 'node_modules'), { recursive: true });
    run();
    expect(installs()).toBe(3);
  });
});
