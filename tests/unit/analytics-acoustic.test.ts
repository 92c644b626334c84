import { describe, expect, it } from 'vitest';
import { EMPTY, from, lastValueFrom, Subject, toArray } from 'rxjs';
import { AcousticAnalysis, AcousticReceiver } from '../../src/analytics/acoustic.js';
import { measuresDetector } from '../../src/analytics/measures.js';
import { defaultMeasuresOptions } from '../../src/analytics/measures-options.js';
import type { DetectorOutput } from '../../src/analytics/types.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { interleave, packets, synthVoice } from '../helpers/synthetic-voice.js';

function utt(party: string, text: string, startMs: number): TranscriptEvent {
  return { type: 'transcript', v: 1, callId: 'c', party, final: true, text, words: [], startMs, endMs: startMs + 2000, utterance: 0 };
}

// 40 s: customer calm, raised at 20-26 s, calm again; agent speaks in the gaps; 3 s of dead air at the end.
const rate = 8000;
const speech = (ms: number, f0: number, dbfs: number) => ({ ms, f0Hz: f0, dbfs, syllableHz: 4, glideSemitones: 1 });
const customer = synthVoice([speech(10_000, 120, -28), { ms: 10_000 }, speech(6000, 170, -17), speech(4000, 120, -28), { ms: 10_000 }], rate, 1);
const agent = synthVoice([{ ms: 10_000 }, speech(10_000, 210, -26), { ms: 10_000 }, speech(7000, 210, -26), { ms: 3000 }], rate, 2);
const audio = interleave(packets('customer', customer, rate), packets('agent', agent, rate));
const transcripts = [utt('customer', 'hello, I have a problem', 1000), utt('agent', 'happy to help', 12_000), utt('customer', 'this is awful', 21_000), utt('customer', 'thank you, great', 34_000)];
const parties = ['customer', 'agent'];
const options = defaultMeasuresOptions();

/** Outputs in a comparable form: summary sections by name, the other outputs sorted. */
function normalize(outputs: DetectorOutput[]): { sections: Record<string, unknown>; live: string[] } {
  const sections: Record<string, unknown> = {};
  const live: string[] = [];
  for (const o of outputs) {
    if (o.kind === 'summary') sections[o.section] = o.value;
    else live.push(JSON.stringify(o));
  }
  return { sections, live: live.sort() };
}

describe('acoustic measures hosted elsewhere (the ASR worker) and received as messages', () => {
  it('give the same alerts, measures and summary sections as the measures computed from audio$', async () => {
    const local = await lastValueFrom(
      measuresDetector(options)({ callId: 'c', parties, language: 'en', transcripts$: from(transcripts), audio$: from(audio), durationMs$: from([40_000]) }).pipe(toArray()),
    );

    const receiver = new AcousticReceiver();
    const transcripts$ = new Subject<TranscriptEvent>();
    const durationMs$ = new Subject<number>();
    const done = lastValueFrom(
      measuresDetector(options)({ callId: 'c', parties, language: 'en', transcripts$, audio$: EMPTY, durationMs$, acoustic: receiver }).pipe(toArray()),
    );
    // As on the worker: events cross a thread boundary by structured clone.
    const analysis = new AcousticAnalysis(parties, options, (event) => receiver.receive(structuredClone(event)));
    for (const pcm of audio) analysis.push(pcm);
    analysis.end();
    for (const t of transcripts) transcripts$.next(t);
    durationMs$.next(40_000);
    durationMs$.complete();
    transcripts$.complete();
    const remote = await done;

    const a = normalize(local);
    const b = normalize(remote);
    expect(Object.keys(b.sections).sort()).toEqual(['emotionCurve', 'raisedTone', 'sentiment', 'talk']);
    expect(b.sections).toEqual(a.sections);
    expect(b.live).toEqual(a.live);
    // The call really exercised the acoustic side: a raised-tone alert and a dead-air measure.
    expect(b.live.some((o) => o.includes('"kind":"raised_tone"'))).toBe(true);
    expect(b.live.some((o) => o.includes('"measure":"silence"'))).toBe(true);
  });

  it('a lost worker fails raised tone and talk, listed in errors; sentiment and the curve go on', async () => {
    const receiver = new AcousticReceiver();
    const transcripts$ = new Subject<TranscriptEvent>();
    const durationMs$ = new Subject<number>();
    const done = lastValueFrom(
      measuresDetector(options)({ callId: 'c', parties, language: 'en', transcripts$, audio$: EMPTY, durationMs$, acoustic: receiver }).pipe(toArray()),
    );
    receiver.fail(new Error('asr worker 0 exited (code 1)'));
    for (const t of transcripts) transcripts$.next(t);
    durationMs$.next(40_000);
    durationMs$.complete();
    transcripts$.complete();
    const outputs = await done;
    const sections = outputs.flatMap((o) => (o.kind === 'summary' && o.section !== 'errors' ? [o.section] : [])).sort();
    expect(sections).toEqual(['emotionCurve', 'sentiment']);
    const failed = outputs.flatMap((o) => (o.kind === 'summary' && o.section === 'errors' ? (o.value as Array<{ detector: string; message: string }>) : []));
    expect(failed.map((f) => f.detector).sort()).toEqual(['raisedTone', 'talk']);
    expect(failed[0]!.message).toMatch(/worker 0 exited/);
  });
});
