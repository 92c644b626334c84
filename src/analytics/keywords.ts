import { concat, defer } from 'rxjs';
import { expandSync } from './expand-sync.js';
import type { KeywordCategory } from '../config/schema.js';
import type { TranscriptEvent } from '../events/schema.js';
import type { KeywordOptions } from './options.js';
import { compilePhrase, matchAny, type PhraseMatcher } from './text/match.js';
import { spanHit, type Hit } from './text/occurrence.js';
import { tokenizeTranscript, tokensTimed } from './text/tokenize.js';
import type { CallStreams, Detector, DetectorOutput } from './types.js';

interface CompiledKeywordCategory {
  category: KeywordCategory;
  matchers: PhraseMatcher[];
}

/** Compiles the configured categories; throws PhraseSyntaxError naming a phrase that cannot match. */
export function compileKeywordCategories(categories: readonly KeywordCategory[]): CompiledKeywordCategory[] {
  return categories.map((category) => ({ category, matchers: category.phrases.map(compilePhrase) }));
}

export interface KeywordOccurrence extends Hit {
  phrase: string;
}

/** Summary section 'keywords'. */
export interface KeywordSummary {
  categories: Record<string, { count: number; occurrences: KeywordOccurrence[] }>;
}

/**
 * Keyword spotting. An occurrence is identified by party + utterance + category + phrase + its ordinal
 * among that phrase's matches in the utterance, which is the same in a partial and in the final of
 * one utterance. A partial with word timings may raise it early (tentative); the final confirms it
 * silently or withdraws it; a partial without timings never alerts (its times would be guesses).
 * Occurrences are counted from finals only.
 */
export function createKeywordDetector(categories: readonly KeywordCategory[], options: KeywordOptions): Detector {
  const compiled = compileKeywordCategories(categories);
  return (streams: CallStreams) =>
    // Errors in the handlers become error notifications (operators catch them), never uncaught throws.
    defer(() => {
      const summary: KeywordSummary = { categories: {} };
      for (const { category } of compiled) summary.categories[category.name] = { count: 0, occurrences: [] };
      /** Tentative keys per `party#utterance`, waiting for that utterance's final. */
      const pending = new Map<string, Set<string>>();
      const tagged = new Set<string>();

      const onTranscript = (event: TranscriptEvent): DetectorOutput[] => {
        const out: DetectorOutput[] = [];
        const tag = (name: string): void => {
          if (tagged.has(name)) return;
          tagged.add(name);
          out.push({ kind: 'tag', tag: name });
        };
        const tokens = tokenizeTranscript(event);
        if (!event.final && (!options.partials || tokens.length === 0 || !tokensTimed(tokens))) return out;
        const utteranceKey = `${event.party}#${event.utterance}`;
        const tentative = pending.get(utteranceKey) ?? new Set<string>();
        const confirmed = new Set<string>();
        for (const { category, matchers } of compiled) {
          if (category.party !== undefined && category.party !== event.party) continue;
          const ordinals = new Map<string, number>();
          for (const span of matchAny(matchers, tokens)) {
            const ordinal = ordinals.get(span.phrase) ?? 0;
            ordinals.set(span.phrase, ordinal + 1);
            const key = `keyword/${category.name}/${event.party}/${event.utterance}/${span.phrase}/${ordinal}`;
            const hit = spanHit(tokens, span, event);
            const alreadyRaised = tentative.has(key);
            if (event.final) {
              confirmed.add(key);
              const entry = summary.categories[category.name]!;
              entry.count++;
              if (entry.occurrences.length < options.maxOccurrencesPerCategory) entry.occurrences.push({ ...hit, phrase: span.phrase });
              tag(category.name);
              for (const t of category.tags) tag(t);
            } else if (category.alert) {
              tentative.add(key);
            }
            if (!category.alert || alreadyRaised) continue;
            out.push({
              kind: 'alert',
              alert: {
                key,
                kind: 'keyword',
                category: category.name,
                phrase: span.phrase,
                party: event.party,
                severity: category.severity,
                startMs: hit.startMs,
                endMs: hit.endMs,
                tags: category.tags,
                ...(event.final ? {} : { tentative: true }),
                details: { text: hit.text, utterance: event.utterance },
              },
            });
          }
        }
        if (event.final) {
          for (const key of tentative) if (!confirmed.has(key)) out.push({ kind: 'withdraw', key });
          pending.delete(utteranceKey);
        } else if (tentative.size > 0) pending.set(utteranceKey, tentative);
        return out;
      };

      const atEnd = (): DetectorOutput[] => {
        // Partials whose final never came (call cut short) are not confirmed.
        const out: DetectorOutput[] = [];
        for (const keys of pending.values()) for (const key of keys) out.push({ kind: 'withdraw', key });
        pending.clear();
        out.push({ kind: 'summary', section: 'keywords', value: summary });
        return out;
      };
      return concat(streams.transcripts$.pipe(expandSync(onTranscript)), defer(atEnd));
    });
}
