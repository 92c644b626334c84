import type { Observer } from 'rxjs';
import type { CallEvent } from '../events/schema.js';

/**
 * An adapter's subscriber to a call's events, with each callback guarded: RxJS rethrows a
 * subscriber's exception asynchronously, where it becomes an uncaughtException and takes every call
 * down. Here a throw goes to `onFault` (the adapter's own fault path for that one socket or stream).
 */
export function guardedObserver(observer: Partial<Observer<CallEvent>>, onFault: (err: unknown) => void): Partial<Observer<CallEvent>> {
  const guard =
    <A extends unknown[]>(handler: ((...args: A) => void) | undefined) =>
    (...args: A): void => {
      try {
        handler?.(...args);
      } catch (err) {
        onFault(err);
      }
    };
  return { next: guard(observer.next?.bind(observer)), complete: guard(observer.complete?.bind(observer)) };
}
