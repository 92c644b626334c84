import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTinyModel } from '../../src/asr/tiny-model/generate.js';
import { runCli } from '../helpers/cli.js';
import { useLiveService } from '../helpers/live-service.js';

// The espeak-ng English dialogue of `voc sample` and the tone call of `voc sample --tiny`, streamed by
// `voc stream` to engines on the tiny model: marked as a test model (the default), and unmarked,
// which stands for a real model (it says nothing about itself).

let dir: string;
let speech: string;
let tones: string;
const unmarkedModel = mkdtempSync(join(tmpdir(), 'voc-unmarked-model-'));
generateTinyModel(unmarkedModel, { selfDescribe: false });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'voc-model-fit-'));
  speech = join(dir, 'english.wav');
  tones = join(dir, 'tones.wav');
  for (const [args, file] of [[[], speech], [['--tiny'], tones]] as const) {
    const r = await runCli(['sample', ...args, file]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(unmarkedModel, { recursive: true, force: true });
});

async function stream(url: string, file: string, callId: string): Promise<{ warnings: Array<Record<string, unknown>>; code: number; stderr: string }> {
  const r = await runCli(['stream', file, '--url', url, '--speed', '0', '--json', '--call-id', callId], { timeoutMs: 120_000 });
  const messages = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { warnings: messages.filter((m) => m.type === 'warning'), code: r.code ?? -1, stderr: r.stderr };
}

describe('model-fit warning: the tiny test model', { timeout: 240_000 }, () => {
  const live = useLiveService('model-fit');

  it('fed English speech: one warning event on the socket saying it only decodes tones', async () => {
    const { warnings, code } = await stream(live.svc.wsUrl('/v1/stream'), speech, 'fit-speech');
    expect(code).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'warning', v: 1, callId: 'fit-speech', code: 'model_fit' });
    expect(warnings[0]!.message).toMatch(/test model .* only decodes its tones/);
    expect((warnings[0]!.details as { tonalShare: number }).tonalShare).toBeLessThan(0.5);
  });

  it('fed its tone words: no warning', async () => {
    const { warnings, code } = await stream(live.svc.wsUrl('/v1/stream'), tones, 'fit-tones');
    expect(code).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('voc stream prints the warning on stderr', async () => {
    const r = await runCli(['stream', speech, '--url', live.svc.wsUrl('/v1/stream'), '--speed', '0', '--call-id', 'fit-print'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('WARNING'))).toEqual([expect.stringMatching(/^WARNING +call=fit-print {2}model_fit: the model is a test model/)]);
  });
});

describe('model-fit warning: a model that is not marked as a test model', { timeout: 240_000 }, () => {
  const live = useLiveService('model-fit-real', { model: { path: unmarkedModel, autoDownload: false } });

  it('never warns, whatever the audio', async () => {
    for (const [file, id] of [[speech, 'real-speech'], [tones, 'real-tones']] as const) {
      const { warnings, code } = await stream(live.svc.wsUrl('/v1/stream'), file, id);
      expect(code).toBe(0);
      expect(warnings).toEqual([]);
    }
  });
});
