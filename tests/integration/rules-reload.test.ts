import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuleSetError } from '../../src/analytics/rules/compile.js';
import { RuleStore, type RuleStoreEvent } from '../../src/analytics/rules/loader.js';

const category = (name: string, phrase: string) => `categories:\n  - name: ${name}\n    rules:\n      - { type: phrase, phrases: ["${phrase}"] }\n`;

describe('RuleStore hot reload (real files, fs.watch)', () => {
  let dir: string;
  let store: RuleStore | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voc-rules-'));
  });
  afterEach(async () => {
    store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function next<T extends RuleStoreEvent['type']>(s: RuleStore, type: T): Promise<Extract<RuleStoreEvent, { type: T }>> {
    return firstValueFrom(
      s.events$.pipe(
        filter((e): e is Extract<RuleStoreEvent, { type: T }> => e.type === type),
        timeout(5000),
      ),
    );
  }

  it('loads, reloads on change, keeps old rules on invalid or deleted files, recovers', async () => {
    const main = join(dir, 'main.yaml');
    const lists = join(dir, 'lists.yaml');
    await writeFile(main, category('greeting', 'hello'));
    await writeFile(lists, 'lists:\n  promises: [guaranteed]\n');
    store = new RuleStore([main, lists], { debounceMs: 50 });
    const first = await store.load();
    expect(first.version).toBe(1);
    expect(first.categories.map((c) => c.name)).toEqual(['greeting']);
    store.watch();
    const liveCall = store.current(); // a call that started now keeps these rules

    // A valid change: a new snapshot for new calls.
    let reloaded = next(store, 'reloaded');
    await writeFile(main, category('greeting', 'hello') + '  - name: promise\n    rules:\n      - { type: phrase, phrases: ["@promises"] }\n');
    expect(await reloaded).toMatchObject({ version: 2, categories: 2 });
    expect(store.current().categories.map((c) => c.name)).toEqual(['greeting', 'promise']);
    expect(liveCall.categories.map((c) => c.name)).toEqual(['greeting']);

    // An invalid change: an error naming file, rule and field; the old rules stay.
    const failed = next(store, 'error');
    await writeFile(main, category('greeting', 'hello') + '  - name: promise\n    rules:\n      - { type: phrase, phrases: ["@promises"], window: { firstMs: -5 } }\n');
    const { error } = await failed;
    expect(error).toBeInstanceOf(RuleSetError);
    expect(error.issues).toMatchObject([{ file: main, rule: 'category "promise"', field: 'categories[1].rules[0].window.firstMs' }]);
    expect(error.message).toContain(`${main}: category "promise": categories[1].rules[0].window.firstMs:`);
    expect(store.current().version).toBe(2);

    // A deleted file: reported; the old rules stay.
    const missing = next(store, 'error');
    await unlink(lists);
    expect((await missing).error.issues).toEqual([{ file: lists, field: '(file)', message: 'file not found' }]);
    expect(store.current().version).toBe(2);

    // Saved again by rename (as editors do): reloaded.
    reloaded = next(store, 'reloaded');
    const temp = join(dir, '.lists.yaml.tmp');
    await writeFile(temp, 'lists:\n  promises: [guaranteed, i promise]\n');
    await rename(temp, lists);
    await writeFile(main, category('greeting', 'hello') + '  - name: promise\n    rules:\n      - { type: phrase, phrases: ["@promises"] }\n');
    expect(await reloaded).toMatchObject({ version: 3, categories: 2 });
    expect(store.current().textLeaves).toHaveLength(2);
  });

  it('ignores other files in the directory and refuses an invalid first load', async () => {
    const main = join(dir, 'main.yaml');
    await writeFile(main, 'categories: [{ name: x, rules: [{ type: nope }] }]');
    store = new RuleStore([main], { debounceMs: 20 });
    await expect(store.load()).rejects.toBeInstanceOf(RuleSetError);
    expect(store.current().version).toBe(0);

    await writeFile(main, category('x', 'y'));
    await store.load();
    store.watch();
    let events = 0;
    store.events$.subscribe(() => events++);
    await writeFile(join(dir, 'unrelated.yaml'), 'garbage: [');
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toBe(0);
    expect(store.current().version).toBe(1);
  });
});
