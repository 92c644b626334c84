import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { compileRuleSet, EMPTY_RULE_SET, RuleSetError, type RuleSetSnapshot, type RuleSource } from './compile.js';

export type RuleStoreEvent =
  | { type: 'reloaded'; version: number; files: string[]; categories: number }
  | { type: 'error'; error: RuleSetError };

export interface RuleStoreOptions {
  /** Change events closer together than this cause one reload. */
  debounceMs: number;
}

/** Reads the files; a missing or unreadable file is an issue naming it. */
export async function readRuleSources(files: readonly string[]): Promise<RuleSource[]> {
  const issues: RuleSetError['issues'] = [];
  const sources: RuleSource[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      issues.push({ file, field: '(file)', message: code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(err)}` });
    }
  }
  if (issues.length > 0) throw new RuleSetError(issues);
  return sources;
}

/**
 * The rules in force. `current()` is an immutable snapshot: a call takes it when it starts and keeps
 * it to the end, so a reload affects only calls that start afterwards.
 *
 * Hot reload: `watch()` watches the files' directories (editors often save by renaming a new file over
 * the old one, which a watch on the file itself would lose) and reloads all files, debounced, when one
 * of them changes. A reload is all or nothing: if any file is invalid or missing (deleted), an 'error'
 * event names the file, rule and field, and the previous rules stay in force until the files are
 * valid again.
 */
export class RuleStore {
  private snapshot: RuleSetSnapshot = EMPTY_RULE_SET;
  private readonly events = new Subject<RuleStoreEvent>();
  readonly events$: Observable<RuleStoreEvent> = this.events.asObservable();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastTexts: string | undefined;
  /** The last error reported, so one bad save seen by several change events is reported once. */
  private lastError: string | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly files: readonly string[],
    private readonly options: RuleStoreOptions,
  ) {}

  current(): RuleSetSnapshot {
    return this.snapshot;
  }

  /** First load: throws RuleSetError when the files are invalid (a bad config should stop startup). */
  async load(): Promise<RuleSetSnapshot> {
    const sources = await readRuleSources(this.files);
    this.install(sources);
    return this.snapshot;
  }

  /** Reload now; never throws (problems become 'error' events, old rules stay). */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        try {
          this.install(await readRuleSources(this.files));
        } catch (err) {
          // Never throw out of a watcher callback: any failure is an error event, old rules stay.
          const error = err instanceof RuleSetError ? err : new RuleSetError([{ file: this.files.join(', '), field: '(load)', message: err instanceof Error ? err.message : String(err) }]);
          if (error.message !== this.lastError) this.events.next({ type: 'error', error });
          this.lastError = error.message;
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  watch(): void {
    if (this.watchers.length > 0 || this.closed) return;
    const byDir = new Map<string, Set<string>>();
    for (const file of this.files) {
      const abs = resolve(file);
      const names = byDir.get(dirname(abs)) ?? new Set<string>();
      names.add(basename(abs));
      byDir.set(dirname(abs), names);
    }
    for (const [dir, names] of byDir) {
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null || names.has(filename.toString())) this.schedule();
      });
      watcher.on('error', (err: Error) => {
        this.events.next({ type: 'error', error: new RuleSetError([{ file: dir, field: '(watch)', message: err.message }]) });
      });
      this.watchers.push(watcher);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.events.complete();
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.options.debounceMs);
  }

  private install(sources: RuleSource[]): void {
    const texts = JSON.stringify(sources);
    if (texts === this.lastTexts) {
      this.lastError = undefined; // back to the rules in force
      return; // the same content again (editors write twice)
    }
    const next = compileRuleSet(sources, this.snapshot.version + 1);
    this.snapshot = next;
    this.lastTexts = texts;
    this.lastError = undefined;
    this.events.next({ type: 'reloaded', version: next.version, files: next.files, categories: next.categories.filter((c) => !c.hidden).length });
  }
}
