import type { SAMPLE_PARTIES } from './call-wav.js';

type Party = (typeof SAMPLE_PARTIES)[number];

/** One turn of a scripted conversation. */
export interface DialogueLine {
  party: Party;
  text: string;
  /** Pause after the previous turn ends, ms; negative: starts this much before it ends (talking over it). */
  gapMs: number;
}

/**
 * A short service call in plain English for `voc sample`: the lines are written so the default config's
 * keywords and the example rules in config/rules/ have something to find (greeting, recording
 * disclosure, identity check before account details, churn, escalation, a forbidden promise, the
 * closing question), in the order a real call would have them.
 */
export const ENGLISH_DIALOGUE: readonly DialogueLine[] = [
  { party: 'agent', gapMs: 0, text: 'Thank you for calling Acme Telecom, my name is Sam. This call may be recorded for quality and training. How can I help you today?' },
  { party: 'customer', gapMs: 700, text: 'Hi. I want to cancel my account. I have been overcharged three months in a row and nobody has fixed it.' },
  { party: 'agent', gapMs: 500, text: 'I am sorry to hear that. Before I look at the account, can you confirm your date of birth to verify your identity?' },
  { party: 'customer', gapMs: 600, text: 'It is the fourth of July, nineteen eighty five.' },
  { party: 'agent', gapMs: 900, text: 'Thank you. I can see your account balance is eighty four dollars, including the extra charges.' },
  // The customer cuts in before the agent has quite finished.
  { party: 'customer', gapMs: -400, text: 'That is exactly the problem. I want a refund, and I want to speak to a supervisor right now.' },
  { party: 'agent', gapMs: 800, text: 'I understand. I guarantee the charges will be refunded by Friday, and I will transfer you to my manager.' },
  { party: 'customer', gapMs: 500, text: 'Fine. Thank you.' },
  { party: 'agent', gapMs: 600, text: 'Is there anything else I can help you with today?' },
  { party: 'customer', gapMs: 500, text: 'No, that is all. Goodbye.' },
];

export interface PlacedTurn {
  party: Party;
  text: string;
  startMs: number;
  endMs: number;
}

export interface RenderedCall {
  /** Mono PCM16 per party, equal lengths. */
  tracks: Record<Party, Int16Array>;
  turns: PlacedTurn[];
  durationMs: number;
}

export interface LayoutOptions {
  sampleRate: number;
  /** Silence before the first turn and after the last one, ms. */
  leadMs: number;
  tailMs: number;
  /** Peak level each turn is scaled to (int16): both voices at the same loudness. */
  peak: number;
  /** Line noise on both channels, dBFS: a real call is never digital silence. */
  noiseDbfs: number;
}

/** Speaks each line (with `speak`) and places the turns on their party's track with the script's timing. */
export async function renderDialogue(
  lines: readonly DialogueLine[],
  speak: (line: DialogueLine) => Promise<Int16Array>,
  options: LayoutOptions,
): Promise<RenderedCall> {
  const { sampleRate } = options;
  const audio: Int16Array[] = [];
  for (const line of lines) audio.push(normalize(await speak(line), options.peak));

  const toSamples = (ms: number) => Math.round((ms * sampleRate) / 1000);
  const turns: PlacedTurn[] = [];
  const starts: number[] = [];
  let lastEnd = toSamples(options.leadMs); // where the latest turn so far ends, in samples
  lines.forEach((line, i) => {
    const start = i === 0 ? lastEnd : Math.max(0, lastEnd + toSamples(line.gapMs));
    const end = start + audio[i]!.length;
    starts.push(start);
    turns.push({ party: line.party, text: line.text, startMs: (start * 1000) / sampleRate, endMs: (end * 1000) / sampleRate });
    lastEnd = Math.max(lastEnd, end);
  });
  const total = lastEnd + toSamples(options.tailMs);
  const tracks: Record<Party, Int16Array> = { customer: lineNoise(total, options.noiseDbfs, 1), agent: lineNoise(total, options.noiseDbfs, 2) };
  turns.forEach((turn, i) => {
    const track = tracks[turn.party];
    const offset = starts[i]!;
    const speech = audio[i]!;
    for (let n = 0; n < speech.length; n++) track[offset + n] = clamp(track[offset + n]! + speech[n]!);
  });
  return { tracks, turns, durationMs: (total * 1000) / sampleRate };
}

function normalize(samples: Int16Array, peak: number): Int16Array {
  let max = 0;
  for (const s of samples) max = Math.max(max, Math.abs(s));
  if (max === 0) return samples;
  const gain = peak / max;
  return Int16Array.from(samples, (s) => clamp(s * gain));
}

/** Deterministic white noise (xorshift), so the same command writes the same file. */
function lineNoise(length: number, dbfs: number, seed: number): Int16Array {
  const amplitude = 32768 * 10 ** (dbfs / 20) * Math.sqrt(3); // uniform noise of that RMS
  const out = new Int16Array(length);
  let x = 0x9e3779b9 ^ seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = Math.round(((x >>> 0) / 0xffffffff - 0.5) * 2 * amplitude);
  }
  return out;
}

const clamp = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));
