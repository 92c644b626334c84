import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REPO } from './cli.js';

/** A validator for a published JSON Schema (docs/schemas/<name>.json), compiled by a real validator (ajv). */
export function publishedSchema(name: string): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(join(REPO, 'docs', 'schemas', `${name}.json`), 'utf8')) as object);
}

/** Asserts-by-throwing that `value` is valid; the error names the schema and ajv's findings. */
export function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  if (!validate(value)) throw new Error(`${what} does not match its published schema: ${JSON.stringify(validate.errors)} in ${JSON.stringify(value).slice(0, 500)}`);
}
