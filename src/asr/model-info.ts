import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What a model says about itself in `voc-model.json` (optional; official Vosk models have none). The
 * generated tiny model writes one marking itself a test model that only decodes tones, so the engine
 * can warn when it is fed speech (src/asr/model-fit.ts).
 */
export const MODEL_INFO_FILE = 'voc-model.json';

const modelInfoSchema = z.object({
  kind: z.enum(['test', 'speech']),
  description: z.string().max(500).default(''),
  /** A tone model: the frequencies its words are, Hz. */
  tonesHz: z.array(z.number().positive().max(24_000)).max(256).optional(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** The model's self-description; undefined when it has none (every real Vosk model). An unreadable file counts as none. */
export function readModelInfo(modelDir: string): ModelInfo | undefined {
  const file = join(modelDir, MODEL_INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = modelInfoSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
