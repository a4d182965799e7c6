// The parts of the query limits that need no server: how deep a document's brackets and a
// variable's input objects nest. Both must stay cheap and safe on hostile sizes.
import { describe, expect, it } from 'vitest';
import { valueDepth } from '../../plugins/queryLimits/analyseOperation.ts';
import { nestsDeeperThan } from '../../plugins/queryLimits/documentNesting.ts';

describe('nestsDeeperThan', () => {
  const nested = (depth: number) => `{ samples(filter: ${'{ not: '.repeat(depth)}{ sampleId: { equalTo: "x" } }${' }'.repeat(depth)}) { totalCount } }`;

  it('counts braces, brackets and parentheses', () => {
    expect(nestsDeeperThan('{ a(b: [[{ c: 1 }]]) { d } }', 4)).toBe(true);
    expect(nestsDeeperThan('{ a(b: [[{ c: 1 }]]) { d } }', 5)).toBe(false);
  });

  it('ignores brackets inside strings, block strings and comments', () => {
    const document = `# {{{{{{{{{{{{\n{ a(b: "{{{{{{{{{{", c: """[[[[[[[[[[""") { d } }`;
    expect(nestsDeeperThan(document, 3)).toBe(false);
  });

  it('measures a document far beyond the stack without recursion', () => {
    expect(nestsDeeperThan(nested(200_000), 200)).toBe(true);
  });

  it('leaves a syntax error to the parser', () => {
    expect(nestsDeeperThan(`"unterminated\n${'{ '.repeat(300)}`, 100)).toBe(false);
  });
});

describe('valueDepth', () => {
  it('counts objects, not lists', () => {
    expect(valueDepth({ and: [{ not: { sampleId: { equalTo: 'x' } } }] }, 12)).toBe(4);
    expect(valueDepth([[[['x']]]], 12)).toBe(0);
    expect(valueDepth('x', 12)).toBe(0);
    expect(valueDepth(null, 12)).toBe(0);
  });

  it('spends its budget on arrays too, so nested arrays cannot exhaust the stack', () => {
    const text = `${'['.repeat(500_000)}1${']'.repeat(500_000)}`;
    expect(valueDepth(JSON.parse(text), 12)).toBe(13);
    expect(valueDepth(Array.from({ length: 200_000 }, () => ({ uri: 's3://x' })), 12)).toBe(1);
  });

  it('stops one level past the limit, whatever the real depth', () => {
    let value: object = { leaf: true };
    for (let level = 0; level < 100_000; level += 1) value = { not: value };
    expect(valueDepth(value, 12)).toBe(13);
  });
});
