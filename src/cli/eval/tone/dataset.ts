import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { WavFile, WavFormatError } from '../../../audio/wav.js';

/**
 * A labelled set of recordings for `voc eval tone`: a directory with `labels.csv` and WAV files.
 * labels.csv has a header row with at least:
 * - `filename`: the WAV file, relative to the directory or to one of its immediate subdirectories;
 * - `speaker` (or `actor`): who speaks (one call is built per speaker);
 * - `raised_voice_label` (or `label`): `raised` or `calm`.
 * An `emotion` column, when present, is reported per file (e.g. neutral / calm / angry).
 */

export type ToneLabel = 'raised' | 'calm';

export interface ToneFile {
  /** As written in labels.csv. */
  name: string;
  path: string;
  speaker: string;
  label: ToneLabel;
  /** The `emotion` column, or the label when there is none. */
  emotion: string;
}

export interface ToneDataset {
  dir: string;
  files: ToneFile[];
  /** Speakers in sorted order. */
  speakers: string[];
}

/** The set cannot be used; the message says why (file, row, column). */
export class ToneDatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToneDatasetError';
  }
}

export interface ToneDatasetLimits {
  /** Rows of labels.csv read at most. */
  maxFiles: number;
  /** A single recording may be at most this long, ms. */
  maxFileMs: number;
}

export const DEFAULT_DATASET_LIMITS: ToneDatasetLimits = { maxFiles: 10_000, maxFileMs: 60_000 };

const LABELS_FILE = 'labels.csv';
const MAX_LABELS_BYTES = 16 * 1024 * 1024;

export async function loadToneDataset(dir: string, limits: ToneDatasetLimits = DEFAULT_DATASET_LIMITS): Promise<ToneDataset> {
  const labelsPath = join(dir, LABELS_FILE);
  const info = await stat(labelsPath).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new ToneDatasetError(`${labelsPath}: not found (the directory needs a ${LABELS_FILE})`);
  if (info.size > MAX_LABELS_BYTES) throw new ToneDatasetError(`${labelsPath}: larger than ${MAX_LABELS_BYTES} bytes`);
  let rows: Record<string, string>[];
  try {
    rows = parse(await readFile(labelsPath, 'utf8'), { columns: true, skip_empty_lines: true, trim: true, to: limits.maxFiles + 1 });
  } catch (err) {
    throw new ToneDatasetError(`${labelsPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (rows.length > limits.maxFiles) throw new ToneDatasetError(`${labelsPath}: more than ${limits.maxFiles} rows`);
  if (rows.length === 0) throw new ToneDatasetError(`${labelsPath}: no rows`);
  const header = Object.keys(rows[0]!);
  const speakerColumn = pickColumn(header, ['speaker', 'actor'], labelsPath);
  const labelColumn = pickColumn(header, ['raised_voice_label', 'label'], labelsPath);
  const hasEmotion = header.includes('emotion');
  const folders = [dir, ...(await subdirectories(dir))];

  const files: ToneFile[] = [];
  const seen = new Set<string>();
  for (const [index, row] of rows.entries()) {
    const where = `${labelsPath} row ${index + 2}`;
    const name = row['filename'] ?? '';
    if (name === '' || name.includes('..')) throw new ToneDatasetError(`${where}: filename "${name}" is empty or leaves the directory`);
    if (seen.has(name)) throw new ToneDatasetError(`${where}: ${name} is listed twice`);
    seen.add(name);
    const label = row[labelColumn];
    if (label !== 'raised' && label !== 'calm') throw new ToneDatasetError(`${where}: ${labelColumn} must be "raised" or "calm", not "${label ?? ''}"`);
    const speaker = row[speakerColumn] ?? '';
    if (speaker === '') throw new ToneDatasetError(`${where}: ${speakerColumn} is empty`);
    const path = await locate(name, folders);
    if (path === undefined) throw new ToneDatasetError(`${where}: ${name} is in neither ${dir} nor its subdirectories`);
    files.push({ name, path, speaker, label, emotion: hasEmotion ? (row['emotion'] ?? label) : label });
  }
  await checkRecordings(files, limits);
  const speakers = [...new Set(files.map((f) => f.speaker))].sort();
  return { dir, files, speakers };
}

function pickColumn(header: string[], candidates: string[], path: string): string {
  const found = candidates.find((c) => header.includes(c));
  if (found === undefined) throw new ToneDatasetError(`${path}: needs a column ${candidates.map((c) => `"${c}"`).join(' or ')}`);
  return found;
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name)).sort();
}

async function locate(name: string, folders: string[]): Promise<string | undefined> {
  for (const folder of folders) {
    const path = join(folder, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) return path;
  }
  return undefined;
}

/** Every recording must be a mono WAV the evaluation can read, and not too long. */
async function checkRecordings(files: ToneFile[], limits: ToneDatasetLimits): Promise<void> {
  for (const file of files) {
    let wav: WavFile;
    try {
      wav = await WavFile.open(file.path);
    } catch (err) {
      const reason = err instanceof WavFormatError ? err.message : err instanceof Error ? err.message : String(err);
      throw new ToneDatasetError(`${file.path}: ${reason}`);
    }
    const { channels, sampleRate, dataBytes, blockAlign } = wav.info;
    await wav.close();
    if (channels !== 1) throw new ToneDatasetError(`${file.path}: ${channels} channels; the evaluation needs mono recordings`);
    const ms = (dataBytes / blockAlign / sampleRate) * 1000;
    if (ms > limits.maxFileMs) throw new ToneDatasetError(`${file.path}: ${Math.round(ms)} ms is longer than ${limits.maxFileMs} ms`);
  }
}
