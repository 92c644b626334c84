import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../../src/events/schema.js';
import { buildCallAudio, frames } from '../helpers/call-audio.js';
import { useLiveService } from '../helpers/live-service.js';
import { RecordingClient } from '../helpers/ws-client.js';

const DIGITS = /\b(one|two|three|four|five|six|seven)\b/;

/**
 * A card read in 4-digit groups with a pause after each group, on a live call with the real
 * recognizer (tiny model, digits one..seven). The recognizer ends an utterance at each pause, so no
 * single utterance holds a long number; the first group must still never leave the process: not in
 * partials, not in finals, not in Redis.
 */
describe('redaction end to end: a card read in groups across pauses', () => {
  const live = useLiveService('redaction-e2e');

  it('masks every group, in partials, finals, the summary and Redis; a short number stays readable', async () => {
    const { svc, redis, keys } = live;
    const callId = 'redaction-e2e-1';
    // Each 4-word group takes 2150 ms; 1500 ms of silence follows it.
    const groups = ['four one one one', 'two three four five', 'six seven one two', 'three four five six'];
    const script = [
      ...groups.map((text, i) => ({ party: 'customer', atMs: 500 + i * 3650, text })),
      { party: 'customer', atMs: 20_000, text: 'thanks two three' }, // short number, long after the card
      { party: 'customer', atMs: 25_000, text: 'hello' },
    ];
    const call = buildCallAudio(script, { parties: ['customer'], sampleRate: 8000, encoding: 'mulaw' });
    const client = new RecordingClient(svc.wsUrl('/v1/stream'));
    await client.opened;
    client.send({ type: 'start', callId, encoding: 'mulaw', sampleRate: 8000, channels: 1, parties: ['customer'] });
    await client.waitFor((m) => m.type === 'started');
    await client.sendAudio(frames(call, 8000, 20));
    client.send({ type: 'stop' });
    const summary = (await client.waitFor((m) => m.type === 'summary', 60_000)) as unknown as CallSummary;

    const transcripts = client.ofType('transcript');
    const finals = transcripts.filter((t) => t.final);
    const cardFinals = finals.filter((t) => (t.startMs as number) < 16_000);
    // The recognizer really split the number: several utterances, none long enough on its own.
    expect(cardFinals.length).toBeGreaterThanOrEqual(3);
    for (const t of cardFinals) expect(t.text as string).not.toMatch(DIGITS);
    expect(cardFinals.map((t) => t.text as string).join(' ')).toContain('[redacted]');
    // Partials never show a digit.
    for (const t of transcripts.filter((m) => !m.final)) expect(t.text as string).not.toMatch(DIGITS);

    // A short number well after the card is readable once known to be short.
    const later = summary.transcript.filter((t) => t.startMs > 19_000).map((t) => t.text).join(' ');
    expect(later).toMatch(/two three/);

    const stored = JSON.parse((await redis.get(keys.callSummary(callId)))!) as CallSummary;
    const storedCard = stored.transcript.filter((t) => t.startMs < 16_000);
    expect(storedCard.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(storedCard)).not.toMatch(DIGITS);
  }, 180_000);
});
