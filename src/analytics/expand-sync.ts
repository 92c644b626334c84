import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Maps each value to an array of outputs, emitted in order, synchronously: concatMap for handlers
 * that return arrays, without its per-value inner subscription. concatMap subscribes to every
 * returned array as an observable (an inner subscriber and subscription per value, even for an
 * empty array); the rules detector sees every audio message of a call, and at 200 live calls that
 * was the largest allocator on the main thread (its garbage drives the scavenges behind the
 * event-loop stalls). A handler that throws errors the output, as with concatMap.
 */
export function expandSync<T, R>(handle: (value: T) => readonly R[]): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) =>
      source.subscribe({
        next: (value) => {
          let outputs: readonly R[];
          try {
            outputs = handle(value);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          for (const output of outputs) subscriber.next(output);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
