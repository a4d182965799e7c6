// The ingest rules that run before any database work: what free text may contain.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../plugins/ingestMutations/rules.ts';

describe('checkText', () => {
  it.each([
    ['plain text', 'nf-core/sarek'],
    ['line breaks and tabs', 'process FOO failed\n\texit status 137\r\n'],
    ['non-Latin scripts and emoji', 'Ausführung fehlgeschlagen 🧬'],
    ['SQL-looking text, which is data', "'; drop table core.runs; --"],
  ])('keeps %s as it is', (_name, value) => {
    expect(checkText(value, 'message', 10_000)).toBe(value);
  });

  it('passes null and undefined through', () => {
    expect(checkText(null, 'message', 10)).toBeNull();
    expect(checkText(undefined, 'message', 10)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(11)],
  ])('refuses %s text, naming the field and the bound', (_name, value) => {
    expect(() => checkText(value, 'executor', 10)).toThrow(/executor must be 1 to 10 characters/);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a bell', 'a\u0007b'],
    ['an escape sequence', '\u001b[31mred'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('refuses %s with a message that says what to send', (_name, value) => {
    expect(() => checkText(value, 'message', 100)).toThrow(/message contains a control character or broken Unicode/);
  });
});
