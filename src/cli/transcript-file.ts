import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { utteranceMessageSchema } from '../ingest/stream/messages.js';
import type { Utterance } from '../session/text-transcriber.js';

/**
 * Transcript files that `voc replay` and `voc eval rules` take instead of recordings (docs/text-input.md):
 * JSON lines of `utterance` messages (.jsonl, .ndjson), or a table with a header naming party, start,
 * end and text (.csv with quoting, .tsv split on tabs).
 */
export const TRANSCRIPT_EXTENSIONS = ['.jsonl', '.ndjson', '.csv', '.tsv'] as const;

/** Larger transcript files are refused before they are read (a day of talk is ~1 MB). */
export const MAX_TRANSCRIPT_FILE_BYTES = 64 * 1024 * 1024;

export class TranscriptFileError extends Error {}

export interface TranscriptFile {
  utterances: Utterance[];
  /** Parties in order of first appearance. */
  parties: string[];
  /** The end of the last utterance, ms. */
  durationMs: number;
}

export function isTranscriptFile(path: string): boolean {
  return (TRANSCRIPT_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

export async function readTranscriptFile(path: string): Promise<TranscriptFile> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_TRANSCRIPT_FILE_BYTES) throw new TranscriptFileError(`larger than ${MAX_TRANSCRIPT_FILE_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TranscriptFileError('not valid UTF-8');
  }
  return parseTranscript(text, extname(path).toLowerCase());
}

/** `extension`: '.jsonl' / '.ndjson' (JSON lines), '.csv' or '.tsv'. */
export function parseTranscript(text: string, extension: string): TranscriptFile {
  const utterances = extension === '.csv' || extension === '.tsv' ? parseTable(text, extension === '.tsv' ? '\t' : ',') : parseJsonLines(text);
  if (utterances.length === 0) throw new TranscriptFileError('no utterances');
  const parties = [...new Set(utterances.map((u) => u.party))];
  return { utterances, parties, durationMs: Math.max(...utterances.map((u) => u.endMs)) };
}

function parseJsonLines(text: string): Utterance[] {
  const out: Utterance[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new TranscriptFileError(`line ${i + 1}: not valid JSON`);
    }
    const parsed = utteranceMessageSchema.safeParse(typeof json === 'object' && json !== null ? { type: 'utterance', ...json } : json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TranscriptFileError(`line ${i + 1}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
    }
    const { party, text: said, startMs, endMs, final, words } = parsed.data;
    out.push({ party, text: said, startMs, endMs, final, ...(words ? { words } : {}) });
  }
  return out;
}

const COLUMN_NAMES: Record<string, 'party' | 'start' | 'end' | 'text'> = {
  party: 'party',
  speaker: 'party',
  start: 'start',
  startms: 'start',
  end: 'end',
  endms: 'end',
  text: 'text',
};

function parseTable(text: string, delimiter: string): Utterance[] {
  let rows: string[][];
  try {
    rows = parseCsv(text, { delimiter, quote: delimiter === ',' ? '"' : false, skip_empty_lines: true, relax_column_count: false, bom: true });
  } catch (err) {
    throw new TranscriptFileError(err instanceof Error ? err.message : String(err));
  }
  const header = rows[0];
  if (!header) throw new TranscriptFileError('empty file');
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    const column = COLUMN_NAMES[name.trim().toLowerCase()];
    if (column) index.set(column, i);
  });
  const missing = ['party', 'start', 'end', 'text'].filter((c) => !index.has(c));
  if (missing.length > 0) throw new TranscriptFileError(`line 1: the header must name party, start, end and text (missing: ${missing.join(', ')})`);
  return rows.slice(1).map((row, i) => {
    const cell = (c: string): string => row[index.get(c)!] ?? '';
    const number = (c: string): number => {
      const value = Number(cell(c).trim());
      if (cell(c).trim() === '' || !Number.isFinite(value)) throw new TranscriptFileError(`row ${i + 2}: ${c} must be a number of ms (got ${JSON.stringify(cell(c))})`);
      return value;
    };
    return { party: cell('party').trim(), text: cell('text'), startMs: number('start'), endMs: number('end'), final: true };
  });
}
