import { map, Observable, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { keywordCategorySchema } from '../../src/config/schema.js';
import { analyticsOptionsSchema } from '../../src/analytics/options.js';
import { createCallAnalytics } from '../../src/analytics/pipeline.js';
import { compileRuleSet } from '../../src/analytics/rules/compile.js';
import type { CallStreams, Detector, DetectorOutput } from '../../src/analytics/types.js';
import type { PartyPcm } from '../../src/audio/format.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { alerts, collect, final, section } from '../helpers/transcripts.js';

const rules = compileRuleSet(
  [
    {
      file: 'p.yaml',
      text: `
categories:
  - name: angry
    alert: true
    rules:
      - { type: measure, measure: raised_tone, party: customer, min: 0.5 }
      - { type: phrase, party: customer, phrases: [ridiculous] }
scorecard:
  checks:
    - { name: calm, category: angry, expect: no_match, alertOnViolation: false }
`,
    },
  ],
  1,
);
const keywords = [keywordCategorySchema.parse({ name: 'escalation', phrases: ['manager'] })];
const options = analyticsOptionsSchema.parse({});

/** A stand-in measure detector: raised tone for every final said in capitals (shouted). */
const loudness: Detector = (streams) =>
  streams.transcripts$.pipe(
    map((t): DetectorOutput =>
      t.final && t.text === t.text.toUpperCase()
        ? { kind: 'measure', measure: { measure: 'raised_tone', party: t.party, startMs: t.startMs, endMs: t.endMs, value: 0.9 } }
        : { kind: 'tag', tag: 'heard' },
    ),
  );

function live() {
  const transcripts = new Subject<TranscriptEvent>();
  const audio = new Subject<PartyPcm>();
  const streams: CallStreams = { callId: 'c', parties: ['agent', 'customer'], language: 'en', transcripts$: transcripts, audio$: audio };
  return { transcripts, audio, streams };
}

describe('createCallAnalytics', () => {
  it('feeds measures into the rules and merges keyword, rule and measure outputs', async () => {
    const { transcripts, audio, streams } = live();
    const done = collect(createCallAnalytics({ keywords, rules, measureDetectors: [loudness], options })(streams));
    transcripts.next(final('customer', 0, 'THIS IS RIDICULOUS', 1000));
    transcripts.next(final('customer', 1, 'get me a manager', 3000));
    audio.complete();
    transcripts.complete();
    const out = await done;
    expect(alerts(out).map((a) => a.key)).toEqual(['category/angry', 'keyword/escalation/customer/1/manager/0']);
    expect(out.filter((o) => o.kind === 'measure')).toHaveLength(1); // measures pass through too
    expect(section(out, 'scorecard')).toMatchObject({ score: 0, checks: [{ name: 'calm', outcome: 'fail' }] });
    expect(section(out, 'keywords')).toBeDefined();
    expect(section(out, 'errors')).toBeUndefined();
  });

  it('isolates a failing detector: the others go on and the failure is reported', async () => {
    const { transcripts, audio, streams } = live();
    const throwsAtOnce: Detector = function broken() {
      throw new Error('bad init');
    };
    const failsLater: Detector = (s) =>
      new Observable<DetectorOutput>((sub) =>
        s.transcripts$.subscribe(() => sub.error(new Error('boom'))),
      );
    const errorsAtOnce: Detector = () => throwError(() => new Error('nope'));
    const done = collect(createCallAnalytics({ keywords, rules, measureDetectors: [throwsAtOnce, failsLater, errorsAtOnce, loudness], options })(streams));
    transcripts.next(final('customer', 0, 'I WANT A MANAGER THIS IS RIDICULOUS', 0));
    audio.complete();
    transcripts.complete();
    const out = await done;
    expect(alerts(out).map((a) => a.key).sort()).toEqual(['category/angry', 'keyword/escalation/customer/0/manager/0']);
    expect(section(out, 'errors')).toEqual([
      { detector: 'broken', message: 'bad init' },
      { detector: 'errorsAtOnce', message: 'nope' },
      { detector: 'failsLater', message: 'boom' },
    ]);
  });

  it('decides at the end from durationMs$ when given', async () => {
    const { transcripts, audio, streams } = live();
    const duration = new Subject<number>();
    const last = compileRuleSet([{ file: 'l.yaml', text: 'categories: [{ name: bye, rules: [{ type: phrase, phrases: [bye], window: { lastMs: 2000 } }] }]' }], 1);
    const done = collect(createCallAnalytics({ keywords: [], rules: last, measureDetectors: [], options })({ ...streams, durationMs$: duration }));
    transcripts.next(final('agent', 0, 'bye', 5000));
    duration.next(20_000); // the call went on long after "bye"
    duration.complete();
    audio.complete();
    transcripts.complete();
    expect(section(await done, 'categories')).toEqual({ matched: [] });
  });
});
