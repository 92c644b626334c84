import { writeFileSync } from 'node:fs';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CategorySummary } from '../../src/analytics/rules/evaluate.js';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { useRulesFile } from '../helpers/rules-file.js';
import { RecordingClient } from '../helpers/ws-client.js';

const rules = (phrase: string) => `categories:\n  - name: watched\n    alert: true\n    rules: [{ type: phrase, phrases: [${phrase}] }]\n`;

describe('rule hot reload with a live call in progress', () => {
  const rulesFile = useRulesFile('voc-reload-live-', rules('refund'));
  const live = useLiveService('rules-reload-live', () => ({ analytics: { rulesFiles: [rulesFile.path], rules: { reloadDebounceMs: 50 } } }));

  const audio = frames(
    buildCallAudio(
      [
        { party: 'customer', atMs: 500, text: 'refund' },
        { party: 'customer', atMs: 2000, text: 'supervisor' },
      ],
      { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' },
    ),
    8000,
  );

  async function startCall(callId: string): Promise<RecordingClient> {
    const client = new RecordingClient(live.svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    return client;
  }
  async function finish(client: RecordingClient): Promise<CallSummary> {
    await client.sendAudio(audio);
    client.send({ type: 'stop' });
    return (await client.waitFor((m) => m.type === 'summary')) as unknown as CallSummary;
  }
  const matched = (s: CallSummary) => (s.analytics.categories as CategorySummary).matched.map((m) => m.evidence[0]?.text);

  it('a call keeps the rules it started with; calls started after the reload get the new ones; an invalid file changes nothing', async () => {
    const { svc } = live;
    const before = await startCall('reload-live-before');
    await before.sendAudio(audio.slice(0, 10)); // the call is live and has audio

    const reloaded = firstValueFrom(svc.service.rules.events$.pipe(filter((e) => e.type === 'reloaded'), timeout(5000)));
    writeFileSync(rulesFile.path, rules('supervisor'));
    await reloaded;
    const after = await startCall('reload-live-after');

    const failed = firstValueFrom(svc.service.rules.events$.pipe(filter((e) => e.type === 'error'), timeout(5000)));
    writeFileSync(rulesFile.path, 'categories: [{ name: broken, rules: [{ type: phrase }] }]\n');
    await failed;
    const afterInvalid = await startCall('reload-live-after-invalid');

    const [sBefore, sAfter, sInvalid] = await Promise.all([finish(before), finish(after), finish(afterInvalid)]);
    expect(matched(sBefore)).toEqual(['refund']);
    expect(matched(sAfter)).toEqual(['supervisor']);
    expect(matched(sInvalid)).toEqual(['supervisor']);
    // Live alerts follow the same snapshot: one 'watched' alert per call, at the word its rules name.
    const watched = (c: RecordingClient) => c.ofType('alert').filter((a) => a.kind === 'category' && a.category === 'watched');
    expect(watched(before).map((a) => Math.round((a.startMs as number) / 500) * 500)).toEqual([500]);
    expect(watched(after).map((a) => Math.round((a.startMs as number) / 500) * 500)).toEqual([2000]);
  });
});
