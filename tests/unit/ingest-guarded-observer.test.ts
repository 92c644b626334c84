import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/events/schema.js';
import { guardedObserver } from '../../src/ingest/guarded-observer.js';

describe('guardedObserver', () => {
  it("sends a subscriber's throw to the adapter's fault path instead of letting RxJS rethrow it", () => {
    const events = new Subject<CallEvent>();
    const faults: unknown[] = [];
    events.subscribe(
      guardedObserver(
        {
          next: () => {
            throw new Error('send failed');
          },
          complete: () => {
            throw new Error('close failed');
          },
        },
        (err) => faults.push(err),
      ),
    );
    // Unguarded, RxJS reports these through its unhandled-error hook (a timer that throws: uncaughtException).
    expect(() => events.next({ type: 'alert_withdrawn', v: 1, id: 'c/k', callId: 'c', kind: 'keyword', raisedAt: '' } as CallEvent)).not.toThrow();
    events.complete();
    expect(faults.map((f) => (f as Error).message)).toEqual(['send failed', 'close failed']);
  });
});
