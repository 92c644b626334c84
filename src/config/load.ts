import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** A configuration problem found at start: the message names the field, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override config file fields (a stable public interface). */
export const ENV_OVERRIDES = {
  VOC_HOST: { path: ['server', 'host'], kind: 'string' },
  VOC_PORT: { path: ['server', 'port'], kind: 'int' },
  VOC_GRPC_HOST: { path: ['grpc', 'host'], kind: 'string' },
  VOC_GRPC_PORT: { path: ['grpc', 'port'], kind: 'int' },
  VOC_REDIS_URL: { path: ['redis', 'url'], kind: 'string' },
  VOC_REDIS_PREFIX: { path: ['redis', 'prefix'], kind: 'string' },
  VOC_MODEL_PATH: { path: ['model', 'path'], kind: 'string' },
  VOC_LOG_LEVEL: { path: ['logging', 'level'], kind: 'string' },
  VOC_INSTANCE_ID: { path: ['server', 'instanceId'], kind: 'string' },
  VOC_SPOOL_DIR: { path: ['redis', 'spool', 'dir'], kind: 'string' },
} as const satisfies Record<string, { path: readonly string[]; kind: 'int' | 'string' }>;

export const DEFAULT_CONFIG_FILE = 'config/voc.yaml';

type Env = Record<string, string | undefined>;

export interface LoadedConfig {
  config: Config;
  /** The file read, if any. */
  file: string | undefined;
}

/** Reads the config file (VOC_CONFIG, else config/voc.yaml when present), applies env overrides, validates. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): LoadedConfig {
  const explicit = env.VOC_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? resolve(cwd, DEFAULT_CONFIG_FILE) : undefined;
  const raw = file ? readConfigFile(file) : {};
  const sources = new Map<string, string>();
  for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, spec.path, spec.kind === 'int' ? parseIntOrKeep(value) : value);
    sources.set(spec.path.join('.'), name);
  }
  return { config: validateConfig(raw, file, sources), file };
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold an object at the top level`);
  return parsed as Record<string, unknown>;
}

export function validateConfig(raw: unknown, file?: string, envSources: Map<string, string> = new Map()): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue, raw, file, envSources));
  throw new ConfigError(`invalid configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, file: string | undefined, envSources: Map<string, string>): string {
  const path = issue.path.map(String).join('.');
  const value = getPath(raw, issue.path.map(String));
  const source = envSources.get(path) ?? (file ? `file ${file}` : 'defaults');
  const shown = value === undefined ? '(missing)' : JSON.stringify(value);
  return `field "${path || '(root)'}" = ${shown} (from ${source}): ${issue.message}`;
}

function parseIntOrKeep(value: string): number | string {
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function getPath(target: unknown, path: string[]): unknown {
  let node = target;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
