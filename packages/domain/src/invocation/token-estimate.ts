import type { JsonValue } from '../json';

/**
 * Tokens a model bills for `text`, leaning high. Tokenizers cut prose into pieces of about four letters, but cut
 * digits, punctuation and rare letter strings much finer, and JSON is mostly those: so a run of ASCII letters counts
 * a token per three letters (at least one), every digit, mark or control character a token of its own, and every
 * character outside ASCII (CJK, accents, each half of an emoji) a token. A single space joins the word after it;
 * longer runs of white space count a token per four.
 *
 * Returns a fraction: sum the parts, round up once.
 */
export function textTokens(text: string): number {
  // One pass with the runs in locals (no closures): it sees every character of every prompt, on every call.
  let tokens = 0;
  let letters = 0;
  let spaces = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20; // ASCII letters folded to lower case; other characters stay apart
    if (c >= 0x61 && c <= 0x7a) {
      if (spaces > 1) tokens += (spaces - 1) / 4;
      spaces = 0;
      letters += 1;
      continue;
    }
    if (letters > 0) tokens += letters < 3 ? 1 : letters / 3;
    letters = 0;
    const d = text.charCodeAt(i);
    if (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) {
      spaces += 1;
      continue;
    }
    if (spaces > 1) tokens += (spaces - 1) / 4;
    spaces = 0;
    tokens += 1;
  }
  if (letters > 0) tokens += letters < 3 ? 1 : letters / 3;
  if (spaces > 1) tokens += (spaces - 1) / 4;
  return tokens;
}

/** Tokens of a JSON value as a model reads it: its serialised text, keys, quotes and marks included. */
export function jsonTokens(value: JsonValue): number {
  return textTokens(JSON.stringify(value));
}
