import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stderrProgress } from './progress';

/** A stream standing in for stderr, terminal or not, that keeps what was written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      s.text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  s.text = '';
  Object.assign(s, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return s;
}

describe(stderrProgress, () => {
  it('writes a line at each tenth of the bytes when stderr is not a terminal', () => {
    const out = stream(false);
    const p = stderrProgress(out);
    p.start(10 * 1024 * 1024, 3);
    for (let i = 1; i <= 20; i++) p.advance(512 * 1024, i * 100);
    p.stop();
    const lines = out.text.trim().split('\n');
    expect(lines[0]).toBe('replaying 3 file(s), 10.0 MiB');
    expect(lines.slice(1)).toEqual(
      Array.from({ length: 10 }, (_, i) => `  ${(i + 1) * 10}% · ${((i + 1) * 2 * 100).toLocaleString('en')} records`),
    );
    expect(out.text).not.toContain('\u001b');
  });

  it('draws a bar when stderr is a terminal', () => {
    const out = stream(true);
    const p = stderrProgress(out);
    p.start(4 * 1024 * 1024, 1);
    p.advance(2 * 1024 * 1024, 500);
    p.stop();
    expect(out.text).toMatch(/replaying \[[=-]+\] \d+% \| \d\.\d\/4\.0 MiB \| [\d,]+ records/);
  });
});
