/**
 * Official Vosk models we know, for `voc model download <name>`. Sizes and descriptions follow the
 * official list at https://alphacephei.com/vosk/models (archives are `<url base>/<name>.zip`); the
 * engine does not rely on `sampleRate` here: at start it reads the real rate from the model's
 * conf/mfcc.conf. libvosk resamples down but not up, so 8 kHz telephony audio reaches a 16 kHz model
 * upsampled by our audio layer. No official checksums are published: pin the SHA-256 the download
 * prints in `model.sha256`.
 */

export const VOSK_MODEL_URL_BASE = 'https://alphacephei.com/vosk/models';

export interface CatalogModel {
  name: string;
  /** BCP 47 tag. */
  language: string;
  /** Approximate archive size as listed, MB. */
  sizeMb: number;
  /** Audio rate (Hz) the model was trained on. */
  sampleRate: number;
  /** What it is for, in a few words. */
  notes: string;
}

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    name: 'vosk-model-small-en-us-0.15',
    language: 'en-US',
    sizeMb: 40,
    sampleRate: 16_000,
    notes: 'Lightweight wideband model (~300 MB RAM); the default; fast, least accurate',
  },
  {
    name: 'vosk-model-en-us-0.22-lgraph',
    language: 'en-US',
    sizeMb: 128,
    sampleRate: 16_000,
    notes: 'Big US English acoustic model with a dynamic (lookahead) graph: better accuracy, moderate memory',
  },
  {
    name: 'vosk-model-en-us-0.22',
    language: 'en-US',
    sizeMb: 1800,
    sampleRate: 16_000,
    notes: 'Accurate generic US English server model (several GB of RAM); the accuracy choice for call-center speech',
  },
  {
    name: 'vosk-model-en-us-aspire-0.2',
    language: 'en-US',
    sizeMb: 1400,
    sampleRate: 8_000,
    notes: 'Older Kaldi ASpIRE model, reported to take 8 kHz audio natively (vosk-api#276)',
  },
  {
    name: 'vosk-model-small-cn-0.22',
    language: 'zh-CN',
    sizeMb: 42,
    sampleRate: 16_000,
    notes: 'Lightweight Mandarin Chinese model',
  },
  {
    name: 'vosk-model-cn-0.22',
    language: 'zh-CN',
    sizeMb: 1300,
    sampleRate: 16_000,
    notes: 'Big Mandarin Chinese server model',
  },
];

/** Model names are path components and URL segments: nothing else gets through. */
export const MODEL_NAME_PATTERN = /^vosk-model-[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function findCatalogModel(name: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((m) => m.name === name);
}

/** The official archive URL of a model (known or not: all official models follow this pattern). */
export function modelUrl(name: string): string {
  if (!MODEL_NAME_PATTERN.test(name)) throw new RangeError(`"${name}" is not a Vosk model name (like vosk-model-small-en-us-0.15)`);
  return `${VOSK_MODEL_URL_BASE}/${name}.zip`;
}
