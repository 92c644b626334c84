/**
 * Sentiment per final utterance and party, with a trend per party.
 *
 * Scoring uses the npm `sentiment` library: the AFINN-165 lexicon (about 3,400 English words rated
 * -5..+5) with negation of the word that follows a negator ("not good"). The sum of an utterance's
 * word ratings is normalized to -1..1 as VADER does, s / sqrt(s^2 + 15), so a long utterance does
 * not run off the scale. English only: for other languages (Chinese included) no maintained
 * lexicon library exists on npm, and the section says `supported: false` instead of guessing.
 *
 * Trend: a least-squares line through a party's utterance scores over time; its change from the
 * party's first to last utterance is `trendDelta`. Above +trendMinDelta the party is 'improving',
 * below -trendMinDelta 'worsening', otherwise 'stable' ('insufficient' with fewer than
 * trendMinUtterances utterances).
 */
import Sentiment from 'sentiment';
import { Observable } from 'rxjs';
import type { TranscriptEvent } from '../events/schema.js';
import type { MeasuresOptions, SentimentOptions } from './measures-options.js';
import type { CallStreams, Detector, DetectorOutput } from './types.js';

export type SentimentTrend = 'improving' | 'worsening' | 'stable' | 'insufficient';

export interface UtteranceSentiment {
  party: string;
  startMs: number;
  endMs: number;
  /** AFINN sum of the utterance's words. */
  score: number;
  /** Normalized score, -1..1. */
  normalized: number;
}

export interface PartySentiment {
  utterances: number;
  /** Mean normalized score, -1..1 (null without utterances). */
  average: number | null;
  trend: SentimentTrend;
  /** Fitted change of the normalized score from the first to the last utterance. */
  trendDelta: number | null;
}

export interface SentimentSummary {
  supported: boolean;
  language: string;
  lexicon: string;
  utterances: UtteranceSentiment[];
  parties: Record<string, PartySentiment>;
}

const NORMALIZATION_ALPHA = 15;

/** True when a lexicon exists for this language tag (e.g. 'en', 'en-US'). */
export function sentimentSupported(language: string): boolean {
  return /^en(?:[-_]|$)/iu.test(language);
}

/** Scores text; one instance per detector (the library keeps no per-call state). */
export class SentimentScorer {
  private readonly analyzer = new Sentiment();

  /** AFINN sum and its -1..1 normalization. */
  score(text: string): { score: number; normalized: number } {
    const { score } = this.analyzer.analyze(text);
    return { score, normalized: score / Math.sqrt(score * score + NORMALIZATION_ALPHA) };
  }
}

/** Least-squares change of `values` over `times` from the first to the last time. */
export function fittedChange(times: readonly number[], values: readonly number[]): number {
  const n = times.length;
  if (n < 2) return 0;
  let mt = 0;
  let mv = 0;
  for (let i = 0; i < n; i++) {
    mt += times[i]!;
    mv += values[i]!;
  }
  mt /= n;
  mv /= n;
  let cov = 0;
  let varT = 0;
  for (let i = 0; i < n; i++) {
    cov += (times[i]! - mt) * (values[i]! - mv);
    varT += (times[i]! - mt) ** 2;
  }
  if (varT === 0) return 0;
  return (cov / varT) * (Math.max(...times) - Math.min(...times));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function partySentiment(utterances: readonly UtteranceSentiment[], options: SentimentOptions): PartySentiment {
  if (utterances.length === 0) return { utterances: 0, average: null, trend: 'insufficient', trendDelta: null };
  const values = utterances.map((u) => u.normalized);
  const average = values.reduce((s, v) => s + v, 0) / values.length;
  if (utterances.length < options.trendMinUtterances) {
    return { utterances: utterances.length, average: round3(average), trend: 'insufficient', trendDelta: null };
  }
  const delta = fittedChange(
    utterances.map((u) => (u.startMs + u.endMs) / 2),
    values,
  );
  const trend: SentimentTrend = delta >= options.trendMinDelta ? 'improving' : delta <= -options.trendMinDelta ? 'worsening' : 'stable';
  return { utterances: utterances.length, average: round3(average), trend, trendDelta: round3(delta) };
}

/** Sentiment measures of the final transcripts, then the 'sentiment' section. */
export function sentimentFrom(
  transcripts$: Observable<TranscriptEvent>,
  language: string,
  options: SentimentOptions,
): Observable<DetectorOutput> {
  return new Observable<DetectorOutput>((subscriber) => {
    const supported = sentimentSupported(language);
    const scorer = supported ? new SentimentScorer() : null;
    const utterances: UtteranceSentiment[] = [];
    return transcripts$.subscribe({
      next(event) {
        if (scorer === null || !event.final || event.text.trim() === '') return;
        const { score, normalized } = scorer.score(event.text);
        const u: UtteranceSentiment = { party: event.party, startMs: event.startMs, endMs: event.endMs, score, normalized: round3(normalized) };
        utterances.push(u);
        subscriber.next({
          kind: 'measure',
          measure: { measure: 'sentiment', party: u.party, startMs: u.startMs, endMs: u.endMs, value: u.normalized },
        });
      },
      error: (err: unknown) => subscriber.error(err),
      complete() {
        const parties: Record<string, PartySentiment> = {};
        for (const party of new Set(utterances.map((u) => u.party))) {
          parties[party] = partySentiment(
            utterances.filter((u) => u.party === party),
            options,
          );
        }
        const value: SentimentSummary = { supported, language, lexicon: 'AFINN-165', utterances, parties };
        subscriber.next({ kind: 'summary', section: 'sentiment', value });
        subscriber.complete();
      },
    });
  });
}

export function sentimentDetector(options: MeasuresOptions): Detector {
  return (streams: CallStreams) => sentimentFrom(streams.transcripts$, streams.language, options.sentiment);
}
