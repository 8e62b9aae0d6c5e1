import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-depth';

const bytes = (text: string) => Buffer.from(text);

describe(nestsDeeperThan, () => {
  it('counts arrays and objects together', () => {
    expect(nestsDeeperThan(bytes('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":[{"b":[1]}]}'), 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes(JSON.stringify({ text: '[[[[{{{{ \\" [[[[' })), 1)).toBe(false);
  });

  it('ends a string only at an unescaped quote (an escaped backslash before a quote ends it)', () => {
    expect(nestsDeeperThan(bytes('{"a":"x\\\\","b":[[1]]}'), 2)).toBe(true);
    expect(nestsDeeperThan(bytes('{"a":"x\\"[[[[","b":1}'), 2)).toBe(false);
  });

  it('finds 10,000 levels without recursion', () => {
    expect(nestsDeeperThan(bytes('['.repeat(10_000) + ']'.repeat(10_000)), 64)).toBe(true);
  });
});
