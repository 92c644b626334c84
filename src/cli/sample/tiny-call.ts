import { buildCallAudio, type ScriptLine } from '../../asr/tiny-model/call-script.js';
import { encodeWav } from '../../audio/wav.js';
import { SAMPLE_FORMAT, SAMPLE_PARTIES } from './call-wav.js';

/**
 * A ~19 s call in the tiny test model's tone words (src/asr/tiny-model/vocabulary.ts), scripted so
 * the default config/voc.yaml keywords and the example rules in config/rules/ fire where that
 * vocabulary allows:
 * - keywords churn-risk ("cancel") and escalation ("supervisor");
 * - rule categories churn-risk ("cancel" near "account", "refund"), account-details-read ("account
 *   balance"), forbidden-promise ("guaranteed"); account-details-before-verification too, because
 *   the tiny words cannot say a verification phrase such as "verify your identity".
 * Rules needing words the model lacks (greeting, "this call may be recorded", "speak to a
 * supervisor", "anything else") do not match; the scorecard then reports the greeting as missed.
 */
export const TINY_SAMPLE_SCRIPT: readonly ScriptLine[] = [
  { party: 'agent', atMs: 500, text: 'hello recorded' },
  { party: 'customer', atMs: 2300, text: 'hello cancel account refund' },
  { party: 'agent', atMs: 5200, text: 'verify' },
  { party: 'customer', atMs: 6200, text: 'one two three four' },
  { party: 'agent', atMs: 8700, text: 'account balance' },
  { party: 'customer', atMs: 10300, text: 'supervisor' },
  { party: 'agent', atMs: 11500, text: 'guaranteed refund' },
  { party: 'customer', atMs: 13300, text: 'thanks' },
  { party: 'agent', atMs: 14300, text: 'anything thanks' },
  { party: 'customer', atMs: 15900, text: 'thanks' },
];

/** The scripted call as a stereo mu-law 8 kHz WAV (channel 0 customer, channel 1 agent). */
export function tinySampleWav(): { wav: Buffer; durationMs: number } {
  const call = buildCallAudio(TINY_SAMPLE_SCRIPT, { parties: SAMPLE_PARTIES, sampleRate: SAMPLE_FORMAT.sampleRate, encoding: SAMPLE_FORMAT.encoding });
  return { wav: encodeWav(call.bytes, SAMPLE_FORMAT), durationMs: call.durationMs };
}
