import { describe, expect, it } from 'vitest';
import { redactionOptionsSchema } from '../../src/analytics/options.js';
import type { TranscriptEvent } from '../../src/events/schema.js';
import { TranscriptRedactor, redactTranscript } from '../../src/analytics/redaction.js';
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

  it('shows no digit words in partials: the number they are part of may still grow', () => {
    const growing = redactTranscript(partial('customer', 0, 'my card is four one one', 0, false), options);
    expect(growing.text).toBe(`my card is ${M} ${M} ${M}`);
    expect(redactTranscript(partial('customer', 0, 'four one kids', 0, false), options).text).toBe(`${M} ${M} kids`);
    expect(redactTranscript(partial('customer', 0, 'one two three four five', 0), options).words.map((w) => w.word)).toEqual(Array(5).fill(M));
    expect(redactTranscript(final('customer', 0, 'I have two', 0), options).text).toBe('I have two');
  });
});

/** Feeds events to one call's redactor; `out` is what left it, in order. */
function redactor(opts = options) {
  const r = new TranscriptRedactor(opts);
  const out: TranscriptEvent[] = [];
  return { r, out, push: (event: TranscriptEvent) => r.push(event, (e) => out.push(e)), texts: () => out.map((e) => e.text) };
}

describe('TranscriptRedactor (one call, across utterances)', () => {
  const group = (utterance: number, text: string, startMs: number) => final('customer', utterance, text, startMs);

  it('masks a card read in 4-digit groups across pauses as one number, from its first group', () => {
    const { push, out, texts } = redactor();
    push(group(0, 'my card is four one one one', 0)); // ends 2400
    expect(out).toHaveLength(0); // 4 digits: held until the number is known
    push(partial('customer', 1, 'one two', 3000));
    expect(out.map((e) => e.text)).toEqual([`${M} ${M}`]); // partials show no digits; the first group is still held
    push(group(1, 'one two three four', 3000)); // within joinGapMs: 8 digits
    push(group(2, 'five six seven one', 6000));
    push(group(3, 'two two three three thank you', 9000));
    const finals = out.filter((e) => e.final);
    expect(finals.map((e) => e.text)).toEqual([
      `my card is ${M} ${M} ${M} ${M}`,
      `${M} ${M} ${M} ${M}`,
      `${M} ${M} ${M} ${M}`,
      `${M} ${M} ${M} ${M} thank you`,
    ]);
    expect(finals[0]!.words.map((w) => w.word)).toEqual(['my', 'card', 'is', M, M, M, M]);
    expect(texts().join(' ')).not.toMatch(/one|two|three|four|five|six|seven/);
  });

  it('releases a short number unchanged once it is known to be short', () => {
    const { push, texts } = redactor();
    push(group(0, 'it is four one one one', 0));
    push(group(1, 'two two and that is it', 3000)); // 6 digits in all: masked together
    expect(texts()).toEqual([`it is ${M} ${M} ${M} ${M}`, `${M} ${M} and that is it`]);

    const short = redactor();
    short.push(group(0, 'order one two three', 0));
    short.push(group(1, 'thank you', 2000)); // the number ended: 3 digits, readable
    expect(short.texts()).toEqual(['order one two three', 'thank you']);

    const late = redactor();
    late.push(group(0, 'order one two three', 0));
    late.push(group(1, 'four five six', 9000)); // beyond joinGapMs: a new number (held in turn)
    late.r.flush();
    expect(late.texts()).toEqual(['order one two three', 'four five six']);

    const ended = redactor();
    ended.push(group(0, 'I have two', 0));
    ended.r.flush(); // the call ended
    expect(ended.texts()).toEqual(['I have two']);
  });

  it('does not join parties, and another party is not held up', () => {
    const { push, texts } = redactor();
    push(group(0, 'four one one one', 0));
    push(final('agent', 0, 'two two thanks', 1700));
    expect(texts()).toEqual(['two two thanks']);
    push(group(1, 'two two', 2600)); // the customer's number goes on: 6 digits
    expect(texts().slice(1)).toEqual([`${M} ${M} ${M} ${M}`, `${M} ${M}`]);
  });

  it('keeps holding while a number grows in short groups, and masks it once long enough', () => {
    const { push, texts } = redactor();
    push(group(0, 'it is one two', 0));
    push(group(1, 'three four', 1800));
    expect(texts()).toEqual([]);
    push(group(2, 'five six and done', 3500));
    expect(texts()).toEqual([`it is ${M} ${M}`, `${M} ${M}`, `${M} ${M} and done`]);
  });

  it('masks what it held when the party stays silent past holdMs (never known to be short)', async () => {
    const { push, texts } = redactor(redactionOptionsSchema.parse({ holdMs: 100 }));
    push(group(0, 'my pin is one two three four', 0));
    await new Promise((r) => setTimeout(r, 400));
    expect(texts()).toEqual([`my pin is ${M} ${M} ${M} ${M}`]);
    push(group(1, 'five six', 3500)); // continues the masked number
    expect(texts()[1]).toBe(`${M} ${M}`);
  });

  it('is the identity when off', () => {
    const { push, out } = redactor(redactionOptionsSchema.parse({ enabled: false }));
    const event = final('customer', 0, '4111 4111 4111 4111', 0);
    push(event);
    expect(out[0]).toBe(event);
  });
});
