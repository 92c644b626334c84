import { describe, expect, it } from 'vitest';
import { TranscriptAssembler } from '../../src/session/transcript-assembler.js';

const word = (w: string, startMs: number, endMs: number) => ({ word: w, startMs, endMs, conf: 1 });

describe('TranscriptAssembler', () => {
  it('numbers utterances: partials share the number of the final that ends them', () => {
    const a = new TranscriptAssembler('c1', 'agent');
    const p1 = a.next({ final: false, text: 'hello', words: [] }, 900);
    const p2 = a.next({ final: false, text: 'hello', words: [] }, 1000);
    const f1 = a.next({ final: true, text: 'hello there', words: [word('hello', 500, 900), word('there', 1000, 1300)] }, 2000);
    const p3 = a.next({ final: false, text: 'cancel', words: [] }, 2600);
    expect(p1).toMatchObject({ final: false, utterance: 0, startMs: 0, endMs: 900, callId: 'c1', party: 'agent', v: 1 });
    expect(p2).toBeUndefined(); // unchanged partial
    expect(f1).toMatchObject({ final: true, utterance: 0, startMs: 500, endMs: 1300 });
    expect(p3).toMatchObject({ final: false, utterance: 1, startMs: 1300, endMs: 2600 });
  });

  it('drops silence-only finals unless they take back a shown partial', () => {
    const a = new TranscriptAssembler('c1', 'agent');
    expect(a.next({ final: true, text: '', words: [] }, 1000)).toBeUndefined();
    a.next({ final: false, text: 'noise', words: [] }, 1500);
    expect(a.next({ final: true, text: '', words: [] }, 2000)).toMatchObject({ final: true, text: '', utterance: 0 });
    expect(a.next({ final: true, text: 'refund', words: [word('refund', 2500, 2900)] }, 3000)).toMatchObject({ utterance: 1 });
  });
});
