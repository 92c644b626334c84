import { describe, expect, it } from 'vitest';
import { redactionOptionsSchema } from '../../src/analytics/options.js';
import { createRedactionState, createRedactor, redactTranscript } from '../../src/analytics/redaction.js';
import { final, partial } from '../helpers/transcripts.js';

const options = redactionOptionsSchema.parse({});
const M = '[redacted]';
const textOf = (text: string, opts = options) => redactTranscript(final('customer', 0, text, 0), opts).text;

describe('redactTranscript', () => {
  it('masks card numbers spoken as words, in text and words, keeping timings', () => {
    const event = final('customer', 0, 'my card is four one one one one one one one', 1000);
    const out = redactTranscript(event, options);
    expect(out.text).toBe(`my card is ${Array(8).fill(M).join(' ')}`);
    expect(out.words.map((w) => w.word)).toEqual(['my', 'card', 'is', ...Array(8).fill(M)]);
    expect(out.words.map((w) => [w.startMs, w.endMs])).toEqual(event.words.map((w) => [w.startMs, w.endMs]));
    expect(event.text).toBe('my card is four one one one one one one one'); // input untouched
  });

  it('catches digit groups split over several words and single long tokens', () => {
    expect(textOf('card 4111 4111 4111 4111 thanks')).toBe(`card ${M} ${M} ${M} ${M} thanks`);
    expect(textOf('it is 4111-1111-1111-1111')).toBe(`it is ${M}`);
    expect(textOf('account forty one eleven twenty three')).toBe(`account ${M} ${M} ${M} ${M} ${M}`); // 2+0+2+2+0 = 6 digits
    expect(textOf('number double four seven oh nine one')).toBe(`number ${M} ${M} ${M} ${M} ${M} ${M}`);
    expect(textOf('号码 是 四一一一 五五五五')).toBe(`号码 是 ${M} ${M}`);
  });

  it('keeps short numbers, amounts and ordinary words', () => {
    expect(textOf('I have two kids and one dog')).toBe('I have two kids and one dog');
    expect(textOf('it costs two thousand five hundred dollars')).toBe('it costs two thousand five hundred dollars');
    expect(textOf('room 12345 please')).toBe('room 12345 please');
    expect(textOf('oh oh oh oh oh oh no')).toBe('oh oh oh oh oh oh no'); // "oh" alone is not a number
    const event = final('customer', 0, 'nothing here', 0);
    expect(redactTranscript(event, options)).toBe(event);
  });

  it('honours minDigits, mask and enabled', () => {
    const strict = redactionOptionsSchema.parse({ minDigits: 4, mask: '####' });
    expect(textOf('pin one two three four', strict)).toBe('pin #### #### #### ####');
    expect(textOf('pin one two three four')).toBe('pin one two three four');
    const off = redactionOptionsSchema.parse({ enabled: false });
    expect(textOf('4111 4111 4111 4111', off)).toBe('4111 4111 4111 4111');
  });

  it('masks a short number at the end of a partial, since it may still grow', () => {
    const growing = redactTranscript(partial('customer', 0, 'my card is four one one', 0, false), options);
    expect(growing.text).toBe(`my card is ${M} ${M} ${M}`);
    expect(redactTranscript(partial('customer', 0, 'four one kids', 0, false), options).text).toBe('four one kids');
    expect(redactTranscript(final('customer', 0, 'I have two', 0), options).text).toBe('I have two');
  });

  it('continues a number across a short pause that split it into two utterances', () => {
    const state = createRedactionState();
    const first = redactTranscript(final('customer', 0, 'it is four one one one', 0), options, state);
    expect(first.text).toBe('it is four one one one'); // 4 digits: not yet a number to mask
    const second = redactTranscript(final('customer', 1, 'two two and that is it', 3000), options, state);
    expect(second.text).toBe(`${M} ${M} and that is it`);
    // Another party's words, or a long pause, do not continue it.
    const other = createRedactionState();
    redactTranscript(final('customer', 0, 'four one one one', 0), options, other);
    expect(redactTranscript(final('agent', 0, 'two two', 1700), options, other).text).toBe('two two');
    expect(redactTranscript(final('customer', 1, 'two two', 9000), options, other).text).toBe('two two');
  });

  it('createRedactor keeps state per call and is the identity when off', () => {
    const redact = createRedactor(options);
    redact(final('customer', 0, 'five five five', 0));
    expect(redact(final('customer', 1, 'five five five', 1500)).text).toBe(`${M} ${M} ${M}`);
    const event = final('customer', 0, '4111 4111 4111 4111', 0);
    expect(createRedactor(redactionOptionsSchema.parse({ enabled: false }))(event)).toBe(event);
  });
});
