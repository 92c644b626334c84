import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, of, toArray } from 'rxjs';
import { expandSync } from '../../src/analytics/expand-sync.js';

describe('expandSync', () => {
  it('emits every output of every value, in order, and completes with the source', async () => {
    const out = await lastValueFrom(of(1, 0, 3).pipe(expandSync((n) => Array.from({ length: n }, (_, i) => `${n}.${i}`)), toArray()));
    expect(out).toEqual(['1.0', '3.0', '3.1', '3.2']);
  });

  it('emits synchronously, as the value arrives', () => {
    const source = new Subject<number>();
    const seen: number[] = [];
    source.pipe(expandSync((n) => [n, n * 10])).subscribe((v) => seen.push(v));
    source.next(2);
    expect(seen).toEqual([2, 20]);
  });

  it('turns a throwing handler into an error notification and stops', () => {
    const source = new Subject<number>();
    const seen: number[] = [];
    let error: unknown;
    source
      .pipe(
        expandSync((n) => {
          if (n === 2) throw new Error('bad input');
          return [n];
        }),
      )
      .subscribe({ next: (v) => seen.push(v), error: (e: unknown) => (error = e) });
    source.next(1);
    source.next(2);
    source.next(3);
    expect(seen).toEqual([1]);
    expect((error as Error).message).toBe('bad input');
  });

  it('passes the source error on', () => {
    const source = new Subject<number>();
    let error: unknown;
    source.pipe(expandSync((n) => [n])).subscribe({ error: (e: unknown) => (error = e) });
    source.error(new Error('upstream'));
    expect((error as Error).message).toBe('upstream');
  });
});
