import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { REPO } from '../helpers/cli.js';

/** Sections whose options are documented one by one in README's table (the others link a doc). */
const FIELD_BY_FIELD = ['server', 'grpc', 'auth', 'redis', 'model', 'asr', 'limits', 'logging', 'metrics', 'shutdown'];

function objectKeys(schema: z.ZodType): string[] {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

describe("README's configuration table", () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\| `([a-z]+)` \| (.*)$/gm)].map((m) => [m[1]!, m[2]!]));

  it('has a row for every config section', () => {
    for (const section of Object.keys(configSchema.shape)) expect(rows.has(section), `README row for ${section}`).toBe(true);
  });

  it('names every option of the field-by-field sections', () => {
    for (const section of FIELD_BY_FIELD) {
      const keys = objectKeys(configSchema.shape[section as keyof typeof configSchema.shape]);
      expect(keys.length, section).toBeGreaterThan(0);
      for (const key of keys) expect(rows.get(section), `${section}.${key} in README's config table`).toContain(`\`${key}\``);
    }
  });
});
