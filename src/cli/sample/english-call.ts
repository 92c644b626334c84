import { SAMPLE_FORMAT, stereoCallWav } from './call-wav.js';
import { ENGLISH_DIALOGUE, renderDialogue } from './dialogue.js';
import { espeak, type EspeakVoice } from './espeak.js';

/** The English sample: ENGLISH_DIALOGUE spoken by two espeak-ng voices of `language`, as a stereo WAV. */
export async function englishSampleWav(language: string): Promise<{ wav: Buffer; durationMs: number }> {
  // Two clearly different speakers: a lower, slower male agent and a higher female customer.
  const voices: Record<'customer' | 'agent', EspeakVoice> = {
    agent: { name: `${language}+m3`, wordsPerMinute: 165, pitch: 40 },
    customer: { name: `${language}+f3`, wordsPerMinute: 160, pitch: 55 },
  };
  const call = await renderDialogue(ENGLISH_DIALOGUE, (line) => espeak(line.text, voices[line.party], SAMPLE_FORMAT.sampleRate), {
    sampleRate: SAMPLE_FORMAT.sampleRate,
    leadMs: 600,
    tailMs: 1500,
    peak: 20_000,
    noiseDbfs: -65,
  });
  return { wav: stereoCallWav(call.tracks), durationMs: call.durationMs };
}
