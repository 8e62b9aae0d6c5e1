const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** The index of the quote that ends the string whose content starts at `from` (escaped quotes skipped), or -1. */
export function endOfString(raw: Uint8Array, from: number): number {
  for (let i = raw.indexOf(QUOTE, from); i >= 0; i = raw.indexOf(QUOTE, i + 1)) {
    let backslashes = 0;
    while (raw[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return -1;
}

/**
 * Whether a JSON text nests arrays and objects deeper than `max`, counting brackets outside strings. Run on the raw
 * bytes before parsing: recursive code after the parser (request keys, token estimates) would otherwise overflow
 * the stack on a body nested thousands deep. Strings are skipped with a native search, so a large body of text
 * costs little.
 */
export function nestsDeeperThan(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === QUOTE) {
      const end = endOfString(raw, i + 1);
      if (end < 0) return false; // unterminated: the parser reports it
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}
