import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray, Subject } from 'rxjs';
import { talkDetector, type TalkSummary } from '../../src/analytics/talk-activity.js';
import { TalkSpeedTracker } from '../../src/analytics/talk-speed.js';
import { defaultMeasuresOptions, type MeasuresOptions } from '../../src/analytics/measures-options.js';
import type { DetectorOutput } from '../../src/analytics/types.js';
import type { TranscriptEvent, WordTiming } from '../../src/events/schema.js';
import type { PartyPcm } from '../../src/audio/format.js';
import { interleave, packets, synthVoice, type VoiceSegment } from '../helpers/synthetic-voice.js';

const RATE = 8000;

/** A party's PCM from talk intervals [startMs, endMs) over a call of `totalMs`. */
function party(talk: Array<[number, number]>, totalMs: number, f0: number, seed: number): Int16Array {
  const segs: VoiceSegment[] = [];
  let t = 0;
  for (const [s, e] of talk) {
    if (s > t) segs.push({ ms: s - t });
    segs.push({ ms: e - s, f0Hz: f0, dbfs: -24, syllableHz: 4 });
    t = e;
  }
  if (totalMs > t) segs.push({ ms: totalMs - t });
  return synthVoice(segs, RATE, seed);
}

async function run(audio: PartyPcm[], options: MeasuresOptions = defaultMeasuresOptions(), transcripts: TranscriptEvent[] = []) {
  const outputs = await lastValueFrom(
    talkDetector(options)({ callId: 'c', parties: ['agent', 'customer'], language: 'en', transcripts$: from(transcripts), audio$: from(audio) }).pipe(
      toArray(),
    ),
  );
  const summary = outputs.find((o): o is Extract<DetectorOutput, { kind: 'summary' }> => o.kind === 'summary')!.value as TalkSummary;
  return {
    outputs,
    summary,
    alerts: outputs.flatMap((o) => (o.kind === 'alert' ? [o.alert] : [])),
    measures: outputs.flatMap((o) => (o.kind === 'measure' ? [o.measure] : [])),
  };
}

function words(text: string, startMs: number, msPerWord: number): WordTiming[] {
  return text.split(' ').map((word, i) => ({ word, startMs: startMs + i * msPerWord, endMs: startMs + (i + 1) * msPerWord - 50, conf: 1 }));
}

function final(p: string, text: string, startMs: number, msPerWord: number, utterance = 0): TranscriptEvent {
  const w = words(text, startMs, msPerWord);
  return { type: 'transcript', v: 1, callId: 'c', party: p, final: true, text, words: w, startMs, endMs: w.at(-1)!.endMs, utterance };
}

describe('talk activity', () => {
  // agent talks 0-3 s; dead air 3-10 s; customer 10-13 s; agent cuts in at 11.5 s until 15 s;
  // customer 16-20 s with a 400 ms agent backchannel at 17 s.
  const agent = party([[0, 3000], [11_500, 15_000], [17_000, 17_400]], 20_000, 120, 1);
  const customer = party([[10_000, 13_000], [16_000, 20_000]], 20_000, 210, 2);
  const audio = interleave(packets('agent', agent, RATE), packets('customer', customer, RATE));

  it('finds the dead air, alerts it live and measures it', async () => {
    const { alerts, measures, summary } = await run(audio);
    const silence = measures.filter((m) => m.measure === 'silence');
    expect(silence).toHaveLength(1);
    expect(silence[0]!.startMs).toBeGreaterThan(2900);
    expect(silence[0]!.startMs).toBeLessThan(3300);
    expect(silence[0]!.endMs).toBeGreaterThan(9900);
    expect(silence[0]!.endMs).toBeLessThan(10_300);
    expect(silence[0]!.value).toBeCloseTo(silence[0]!.endMs - silence[0]!.startMs, -1);
    const silenceAlerts = alerts.filter((a) => a.kind === 'silence');
    expect(silenceAlerts).toHaveLength(1);
    expect(silenceAlerts[0]!.endMs - silenceAlerts[0]!.startMs).toBeGreaterThan(5000);
    expect(silenceAlerts[0]!.endMs - silenceAlerts[0]!.startMs).toBeLessThan(5100);
    expect(summary.silence.count).toBe(1);
    expect(summary.silence.longestMs).toBe(silence[0]!.value);
  });

  it('finds the overtalk and who interrupted whom, and ignores a short backchannel', async () => {
    const { alerts, measures, summary } = await run(audio);
    const overtalk = measures.filter((m) => m.measure === 'overtalk');
    expect(overtalk).toHaveLength(1);
    expect(overtalk[0]).toMatchObject({ party: 'agent', interruptedParty: 'customer' });
    expect(overtalk[0]!.startMs).toBeGreaterThan(11_400);
    expect(overtalk[0]!.startMs).toBeLessThan(11_700);
    expect(overtalk[0]!.value).toBeGreaterThan(1300);
    expect(overtalk[0]!.value).toBeLessThan(1700);
    expect(alerts.filter((a) => a.kind === 'overtalk')).toEqual([]); // alerting is off by default
    expect(summary.overtalk.whoInterruptedWhom).toEqual({ agent: { customer: 1 } });
    expect(summary.parties['agent']?.interruptionsMade).toBe(1);
    expect(summary.parties['customer']?.interruptionsSuffered).toBe(1);
  });

  it('alerts overtalk when configured', async () => {
    const options = defaultMeasuresOptions();
    options.overtalk.alert = true;
    const { alerts } = await run(audio, options);
    const overtalk = alerts.filter((a) => a.kind === 'overtalk');
    expect(overtalk).toHaveLength(1);
    expect(overtalk[0]).toMatchObject({ party: 'agent', category: 'overtalk' });
  });

  it('computes talk time and ratio per party', async () => {
    const { summary } = await run(audio);
    const a = summary.parties['agent']!;
    const c = summary.parties['customer']!;
    expect(a.talkMs).toBeGreaterThan(6500);
    expect(a.talkMs).toBeLessThan(7300);
    expect(c.talkMs).toBeGreaterThan(6600);
    expect(c.talkMs).toBeLessThan(7400);
    expect(a.talkRatio! + c.talkRatio!).toBeCloseTo(1, 2);
    expect(summary.durationMs).toBeCloseTo(20_000, -2);
  });

  it('does not report dead air before anyone spoke, nor pauses shorter than the threshold', async () => {
    const a = party([[4000, 6000], [7500, 9000]], 10_000, 120, 1);
    const c = party([], 10_000, 200, 2);
    const { measures, alerts } = await run(interleave(packets('agent', a, RATE), packets('customer', c, RATE)));
    expect(measures.filter((m) => m.measure === 'silence')).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it('does not take steady line noise for talk', async () => {
    const noisy = synthVoice([{ ms: 3000, f0Hz: 120, dbfs: -24, syllableHz: 4, noiseDbfs: -40 }, { ms: 9000, noiseDbfs: -40 }, { ms: 2000, f0Hz: 120, dbfs: -24, syllableHz: 4, noiseDbfs: -40 }], RATE, 5);
    const quiet = party([], 14_000, 200, 6);
    const { measures } = await run(interleave(packets('agent', noisy, RATE), packets('customer', quiet, RATE)));
    const silence = measures.filter((m) => m.measure === 'silence');
    expect(silence).toHaveLength(1);
    expect(silence[0]!.value).toBeGreaterThan(8500);
  });

  it('does not wait forever for a party that never sends audio, and reports dead air live', async () => {
    const a = party([[0, 2000], [20_000, 22_000]], 40_000, 120, 1);
    const audio$ = new Subject<PartyPcm>();
    const seen: DetectorOutput[] = [];
    const done = lastValueFrom(
      talkDetector(defaultMeasuresOptions())({ callId: 'c', parties: ['agent', 'customer'], language: 'en', transcripts$: from([]), audio$ }).pipe(toArray()),
    );
    const sub = talkDetector(defaultMeasuresOptions())({ callId: 'c', parties: ['agent', 'customer'], language: 'en', transcripts$: from([]), audio$ }).subscribe((o) => seen.push(o));
    for (const p of packets('agent', a, RATE)) {
      audio$.next(p);
      // The alert for the 2-20 s dead air comes while the call runs, within the skew limit (10 s).
      if (p.startSample >= 18_000 * 8 && p.startSample < 18_000 * 8 + 160) {
        expect(seen.filter((o) => o.kind === 'alert' && o.alert.kind === 'silence')).toHaveLength(1);
      }
    }
    audio$.complete();
    sub.unsubscribe();
    const outputs = await done;
    expect(outputs.filter((o) => o.kind === 'measure' && o.measure.measure === 'silence')).toHaveLength(2);
  });

  it('adds words per minute from final transcripts', async () => {
    const transcripts = [
      final('agent', 'thank you for calling how can I help you today', 0, 300),
      { ...final('agent', 'ignored partial', 4000, 300), final: false, words: [] },
      final('customer', 'my bill is wrong', 10_000, 400, 1),
    ];
    const { summary, measures } = await run(audio, defaultMeasuresOptions(), transcripts);
    // 10 words in 10 x 300 ms - 50 ms = 2950 ms -> 203 wpm
    expect(summary.parties['agent']?.wordsPerMinute).toBe(203);
    expect(summary.parties['customer']?.wordsPerMinute).toBe(155);
    const speeds = measures.filter((m) => m.measure === 'talk_speed');
    expect(speeds.map((m) => [m.party, m.value])).toEqual([
      ['agent', 203],
      ['customer', 155],
    ]);
  });
});

describe('TalkSpeedTracker', () => {
  it('leaves long pauses out of the speaking time and skips short utterances', () => {
    const t = new TalkSpeedTracker({ minWords: 3, maxPauseMs: 1000 });
    const w: WordTiming[] = [
      { word: 'one', startMs: 0, endMs: 400, conf: 1 },
      { word: 'two', startMs: 500, endMs: 900, conf: 1 },
      { word: 'three', startMs: 5000, endMs: 5400, conf: 1 }, // 4.1 s pause: not speaking time
    ];
    const m = t.add({ type: 'transcript', v: 1, callId: 'c', party: 'a', final: true, text: 'one two three', words: w, startMs: 0, endMs: 5400, utterance: 0 });
    expect(m?.value).toBe(Math.round((3 * 60_000) / 1300));
    expect(t.add({ type: 'transcript', v: 1, callId: 'c', party: 'a', final: true, text: 'yes', words: [w[0]!], startMs: 0, endMs: 400, utterance: 1 })).toBeNull();
    expect(t.summary()['a']).toEqual({ words: 4, speakingMs: 1700, wordsPerMinute: Math.round((4 * 60_000) / 1700) });
  });
  it('uses the utterance span when there are no word timings', () => {
    const t = new TalkSpeedTracker({ minWords: 1, maxPauseMs: 1000 });
    const m = t.add({ type: 'transcript', v: 1, callId: 'c', party: 'a', final: true, text: 'a b c d', words: [], startMs: 0, endMs: 2000, utterance: 0 });
    expect(m?.value).toBe(120);
  });
});
