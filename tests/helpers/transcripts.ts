import { EMPTY, from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { EVENT_SCHEMA_VERSION, type TranscriptEvent } from '../../src/events/schema.js';
import type { CallStreams, DetectorOutput } from '../../src/analytics/types.js';

/** Each word takes 400 ms (350 ms of speech, 50 ms gap), starting at `startMs`. */
export const WORD_MS = 400;

export function transcript(
  party: string,
  utterance: number,
  text: string,
  startMs: number,
  opts: { final?: boolean; timed?: boolean } = {},
): TranscriptEvent {
  const final = opts.final ?? true;
  const timed = opts.timed ?? true;
  const parts = text.split(/\s+/).filter(Boolean);
  const words = timed ? parts.map((word, i) => ({ word, startMs: startMs + i * WORD_MS, endMs: startMs + i * WORD_MS + 350, conf: 1 })) : [];
  return {
    type: 'transcript',
    v: EVENT_SCHEMA_VERSION,
    callId: 'call-1',
    party,
    final,
    text,
    words,
    startMs,
    endMs: startMs + Math.max(parts.length, 1) * WORD_MS,
    utterance,
  };
}

export const final = (party: string, utterance: number, text: string, startMs: number) => transcript(party, utterance, text, startMs);
export const partial = (party: string, utterance: number, text: string, startMs: number, timed = true) =>
  transcript(party, utterance, text, startMs, { final: false, timed });

export function streamsOf(events: TranscriptEvent[], extra: Partial<CallStreams> = {}): CallStreams {
  return { callId: 'call-1', parties: ['agent', 'customer'], language: 'en', transcripts$: from(events), audio$: EMPTY, ...extra };
}

export function collect(outputs$: Observable<DetectorOutput>): Promise<DetectorOutput[]> {
  return lastValueFrom(outputs$.pipe(toArray()));
}

export const alerts = (outputs: DetectorOutput[]) =>
  outputs.flatMap((o) => (o.kind === 'alert' ? [o.alert] : []));
export const withdrawals = (outputs: DetectorOutput[]) => outputs.flatMap((o) => (o.kind === 'withdraw' ? [o.key] : []));
export const tags = (outputs: DetectorOutput[]) => outputs.flatMap((o) => (o.kind === 'tag' ? [o.tag] : []));
export const section = (outputs: DetectorOutput[], name: string): unknown =>
  outputs.find((o): o is Extract<DetectorOutput, { kind: 'summary' }> => o.kind === 'summary' && o.section === name)?.value;
