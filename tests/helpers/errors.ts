import { CallInputError } from '../../src/session/errors.js';

/** Runs `fn`, which must throw a CallInputError, and returns it (for asserting its code and message). */
export function inputError(fn: () => unknown): CallInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallInputError) return err;
    throw err;
  }
  throw new Error('expected a CallInputError');
}
