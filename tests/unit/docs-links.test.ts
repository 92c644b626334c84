import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

/** README.md, every .md under docs/ and models/README.md. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.md'))
    .map((d) => join(d.parentPath, d.name));
  return [join(REPO, 'README.md'), ...docs, ...[join(REPO, 'models', 'README.md')].filter(existsSync)];
}

/** Targets of inline links and images, without fenced code blocks. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

describe('documentation links', () => {
  it('every relative link in README.md and docs/ resolves to a file in the repository', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdownFiles()) {
      for (const target of relativeLinks(readFileSync(file, 'utf8'))) {
        checked++;
        const path = resolve(dirname(file), decodeURIComponent(target.split('#')[0]!));
        if (!existsSync(path)) broken.push(`${relative(REPO, file)}: ${target}`);
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(broken).toEqual([]);
  });
});
