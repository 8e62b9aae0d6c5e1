import { StringDecoder } from 'node:string_decoder';
import type { ZlibOptions } from 'node:zlib';
import { createGunzip } from 'node:zlib';
import type { LoggedCall } from './logged-call';
import type { LogFile } from './log-source.port';
import { parseInvocationRecord } from './parse-invocation-record';
import type { ReadProblems } from './read-problems';

export interface ReadLogRecordsOptions {
  /** Told how many stored (compressed) bytes were read, as they are read. @default ignore */
  readonly onBytes?: (bytes: number) => void;
  /** Longest line accepted, in characters; a longer one is named as a problem and skipped. @default 64 Mi */
  readonly maxLineBytes?: number;
}

/** Splits a stream of text chunks into lines, holding at most one partial line. */
async function* lines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
  tooLong: (line: number) => void,
): AsyncGenerator<{ n: number; text: string }> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let skipping = false;
  let n = 0;
  for await (const chunk of chunks) {
    const text = carry + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      n += 1;
      if (skipping) skipping = false;
      else if (nl - start > maxLineBytes) tooLong(n);
      else yield { n, text: text.slice(start, nl) };
      start = nl + 1;
    }
    carry = text.slice(start);
    if (carry.length > maxLineBytes) {
      if (!skipping) tooLong(n + 1);
      skipping = true;
      carry = '';
    }
  }
  const rest = carry + decoder.end();
  if (rest.length > maxLineBytes && !skipping) tooLong(n + 1);
  else if (rest.length > 0 && !skipping) yield { n: n + 1, text: rest };
}

/** CloudWatch Logs exports put the event's time before the record (`2026-03-02T09:00:00.000Z {…}`): drop it. */
function withoutExportPrefix(line: string): string {
  if (line.charCodeAt(0) === 0x7b /* { */) return line;
  const brace = line.indexOf(' {');
  return brace > 0 && brace < 40 && /^\d{4}-\d{2}-\d{2}T\S+$/.test(line.slice(0, brace)) ? line.slice(brace + 1) : line;
}

/**
 * Every call recorded in `files`, file after file, in each file's order. A line that is not a readable record
 * and a file that cannot be read to its end (truncated gzip, a read error) are added to `problems` with file and
 * line; reading goes on with the next line or file.
 */
export async function* readLogRecords(
  files: readonly LogFile[],
  problems: ReadProblems,
  options: ReadLogRecordsOptions = {},
): AsyncGenerator<LoggedCall> {
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  for (const file of files) {
    let line = 0;
    try {
      const raw = await file.open();
      if (options.onBytes) raw.on('data', (chunk: Buffer) => options.onBytes?.(chunk.length));
      // Large chunks: fewer hops between the zlib thread and this loop.
      const decoded = file.gzip
        ? raw.pipe(createGunzip({ chunkSize: 1 << 18, readableHighWaterMark: 1 << 23 } as ZlibOptions))
        : raw;
      if (decoded !== raw) raw.on('error', (err) => decoded.destroy(err));
      const tooLong = (at: number) =>
        problems.add({ file: file.name, line: at, reason: `line longer than ${maxLineBytes} characters: skipped` });
      for await (const next of lines(decoded, maxLineBytes, tooLong)) {
        line = next.n;
        const text = next.text;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(withoutExportPrefix(text));
        } catch (err) {
          problems.add({
            file: file.name,
            line,
            reason: `not JSON: ${(err as Error).message.replace(/"[^"]*"/g, '…').slice(0, 80)}`,
          });
          continue;
        }
        const parsed = parseInvocationRecord(value, { file: file.name, line, length: text.length });
        if ('call' in parsed) yield parsed.call;
        else problems.add({ file: file.name, line, reason: parsed.problem });
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const truncated =
        e.code === 'Z_BUF_ERROR' ||
        e.code === 'Z_DATA_ERROR' ||
        /unexpected end of file|incorrect header/i.test(e.message);
      const reason = truncated
        ? `gzip stream truncated or corrupt: ${e.message}; the ${line} lines before it were read`
        : `file could not be read to its end: ${e.code ?? e.message}; the ${line} lines before it were read`;
      problems.add({ file: file.name, line: line + 1, reason });
    }
  }
}
