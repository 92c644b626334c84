import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function configFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'voc-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('uses defaults when no file exists and applies environment overrides', () => {
    const { config, file } = loadConfig(
      { VOC_PORT: '9001', VOC_REDIS_URL: 'redis://10.0.0.5:6380', VOC_MODEL_PATH: '/models/en', VOC_REDIS_PREFIX: 'acme', VOC_GRPC_PORT: '6000' },
      mkdtempSync(join(tmpdir(), 'voc-empty-')),
    );
    expect(file).toBeUndefined();
    expect(config.server.port).toBe(9001);
    expect(config.grpc.port).toBe(6000);
    expect(config.redis).toMatchObject({ url: 'redis://10.0.0.5:6380', prefix: 'acme' });
    expect(config.model.path).toBe('/models/en');
    expect(config.limits.maxConcurrentCalls).toBeUndefined(); // measured at start (asr.capacityProbeMs)
  });

  it('reads YAML from VOC_CONFIG; env wins over the file', () => {
    const file = configFile('voc.yaml', 'server:\n  port: 7000\nredis:\n  prefix: fromfile\nkeywords:\n  - name: churn\n    phrases: [cancel]\n');
    const { config } = loadConfig({ VOC_CONFIG: file, VOC_REDIS_PREFIX: 'fromenv' });
    expect(config.server.port).toBe(7000);
    expect(config.redis.prefix).toBe('fromenv');
    expect(config.keywords[0]).toMatchObject({ name: 'churn', phrases: ['cancel'], severity: 'medium', alert: true });
  });

  it('names the field, the value, its source and what is allowed', () => {
    expect(() => loadConfig({ VOC_PORT: 'eighty' }, tmpdir())).toThrowError(ConfigError);
    try {
      loadConfig({ VOC_PORT: '70000' }, mkdtempSync(join(tmpdir(), 'voc-empty-')));
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('"server.port"');
      expect(message).toContain('70000');
      expect(message).toContain('VOC_PORT');
      expect(message).toMatch(/<=\s*65535|65535/);
    }
    const file = configFile('bad.yaml', 'redis:\n  url: http://nope\nlimits:\n  maxConcurrentCalls: 0\n');
    try {
      loadConfig({ VOC_CONFIG: file });
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('"redis.url" = "http://nope"');
      expect(message).toContain('must start with redis://');
      expect(message).toContain('"limits.maxConcurrentCalls" = 0');
      expect(message).toContain(file);
    }
  });

  it('rejects unknown fields (typos) and unparsable files', () => {
    const typo = configFile('typo.yaml', 'sever:\n  port: 1\n');
    expect(() => loadConfig({ VOC_CONFIG: typo })).toThrowError(/sever/);
    const broken = configFile('broken.json', '{"server": ');
    expect(() => loadConfig({ VOC_CONFIG: broken })).toThrowError(/not valid JSON/);
    expect(() => loadConfig({ VOC_CONFIG: '/nonexistent/voc.yaml' })).toThrowError(/cannot read config file/);
  });
  it('refuses a keyword phrase that can never match, naming the field', () => {
    const file = configFile('voc.yaml', 'keywords:\n  - name: bad\n    phrases: [cancel, "?!"]\n');
    expect(() => loadConfig({ VOC_CONFIG: file })).toThrow(ConfigError);
    expect(() => loadConfig({ VOC_CONFIG: file })).toThrow(/field "keywords\.0\.phrases\.1" = "\?!".*has no words/);
  });
});
