import { describe, expect, it } from 'vitest';
import { AsrError } from '../../src/asr/errors.js';
import { StreamTimeline } from '../../src/asr/stream-timeline.js';
import { parseFinal, parsePartial } from '../../src/asr/vosk-result.js';

const timeline = () => new StreamTimeline(16000);

describe('libvosk results', () => {
  it('reads a final result with word timings in ms, confidence clamped to 0-1', () => {
    const json = JSON.stringify({
      result: [
        { conf: 1.2, end: 0.6, start: 0.25, word: 'cancel' },
        { conf: 0.5, end: 1.1, start: 0.6, word: 'account' },
      ],
      text: 'cancel account',
    });
    expect(parseFinal(json, timeline())).toEqual({
      final: true,
      text: 'cancel account',
      words: [
        { word: 'cancel', startMs: 250, endMs: 600, conf: 1 },
        { word: 'account', startMs: 600, endMs: 1100, conf: 0.5 },
      ],
    });
  });

  it('reads silence and partials, with or without partial words', () => {
    expect(parseFinal('{"text": ""}', timeline())).toEqual({ final: true, text: '', words: [] });
    expect(parsePartial('{"partial": "cancel acc"}', timeline())).toEqual({ final: false, text: 'cancel acc', words: [] });
    const withWords = parsePartial('{"partial": "cancel", "partial_result": [{"word": "cancel", "start": 1, "end": 1.5, "conf": 1}]}', timeline());
    expect(withWords.words).toEqual([{ word: 'cancel', startMs: 1000, endMs: 1500, conf: 1 }]);
  });

  it.each([
    ['[]', /not a JSON object/],
    ['{"text": 3}', /text is not a string/],
    ['{"text": "a", "result": {}}', /result is not an array/],
    ['{"text": "a", "result": [null]}', /result\[0\] is not an object/],
    ['{"text": "a", "result": [{"word": "a", "start": 0, "end": "1", "conf": 1}]}', /result\[0\]\.end is not a number/],
    ['{"partial": "a", "partial_result": [{"start": 0, "end": 1, "conf": 1}]}', /partial_result\[0\]\.word is not a string/],
  ])('refuses %s with an AsrError saying what is wrong', (json, message) => {
    const parse = json.includes('partial') ? parsePartial : parseFinal;
    expect(() => parse(json, timeline())).toThrow(AsrError);
    expect(() => parse(json, timeline())).toThrow(message);
  });
});
