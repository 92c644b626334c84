import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuleStore, type RuleStoreEvent } from '../../src/analytics/rules/loader.js';
import { TONE_DRIVERS_YAML } from '../helpers/voc.js';

describe('drivers hot reload (real files, fs.watch)', () => {
  let dir: string;
  let store: RuleStore | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voc-drivers-reload-'));
  });
  afterEach(async () => {
    store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const next = <T extends RuleStoreEvent['type']>(s: RuleStore, type: T) =>
    firstValueFrom(s.events$.pipe(filter((e): e is Extract<RuleStoreEvent, { type: T }> => e.type === type), timeout(10_000)));

  it('a changed taxonomy reaches new calls; an invalid driver is reported and the old drivers stay', async () => {
    const file = join(dir, 'drivers.yaml');
    await writeFile(file, TONE_DRIVERS_YAML);
    store = new RuleStore([file], { debounceMs: 50 });
    const first = await store.load();
    store.watch();
    expect(first.drivers.map((d) => d.id)).toEqual(['refund', 'balance', 'cancel', 'account']);

    let reloaded = next(store, 'reloaded');
    await writeFile(file, TONE_DRIVERS_YAML.replace('name: 退款', 'name: 退款申请').replace('priority: 20', 'priority: 40'));
    await reloaded;
    expect(store.current().drivers[0]).toMatchObject({ id: 'refund', name: '退款申请', priority: 40 });
    expect(first.drivers[0]).toMatchObject({ name: '退款', priority: 20 }); // a call that started before keeps its snapshot

    const failed = next(store, 'error');
    await writeFile(file, TONE_DRIVERS_YAML.replace('dimensions: { department: support }', 'dimensions: { department: sales }'));
    const { error } = await failed;
    expect(error.issues).toEqual([
      { file, rule: 'driver "account"', field: 'drivers[3].dimensions.department', message: '"sales" is not a declared department (allowed: billing, retention, support)' },
    ]);
    expect(store.current().drivers[0]?.name).toBe('退款申请');

    reloaded = next(store, 'reloaded');
    await writeFile(file, TONE_DRIVERS_YAML);
    await reloaded;
    expect(store.current().drivers[0]?.name).toBe('退款');
  });
});
