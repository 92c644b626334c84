import { CallInputError } from './errors.js';

/** Bounds of a call's metadata (limits.metadata): checked before it is stored, merged or serialized. */
export interface MetadataLimits {
  /** Deepest nesting of objects/arrays; the metadata object itself is depth 1. */
  maxDepth: number;
  /** Object keys plus array elements, counted over the whole value. */
  maxEntries: number;
  /** Longest string (keys and values), in UTF-16 code units. */
  maxStringChars: number;
  /** Serialized JSON size. */
  maxBytes: number;
}

/**
 * Checks client-supplied metadata against the limits without recursing deeper than `maxDepth`
 * (so a 10,000-level nesting costs `maxDepth` steps, not a stack overflow), and without serializing
 * it before its shape is known to be small. Throws CallInputError(`code`) naming the limit.
 */
export function checkMetadata(metadata: Record<string, unknown>, limits: MetadataLimits, code: 'bad_start' | 'bad_message' = 'bad_start'): void {
  let entries = 0;
  const fail = (what: string): never => {
    throw new CallInputError(code, `metadata ${what} (limits.metadata)`);
  };
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'string') {
      if (value.length > limits.maxStringChars) fail(`has a string longer than ${limits.maxStringChars} characters`);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (depth > limits.maxDepth) fail(`nests deeper than ${limits.maxDepth} levels`);
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    entries += children.length;
    if (entries > limits.maxEntries) fail(`has more than ${limits.maxEntries} entries`);
    if (!Array.isArray(value)) for (const key of Object.keys(value)) if (key.length > limits.maxStringChars) fail(`has a key longer than ${limits.maxStringChars} characters`);
    for (const child of children) visit(child, depth + 1);
  };
  visit(metadata, 1);
  if (Buffer.byteLength(JSON.stringify(metadata)) > limits.maxBytes) fail(`is larger than ${limits.maxBytes} bytes as JSON`);
}
