import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ReportError } from '../report-error';
import type { LogFile, LogSource } from './log-source.port';
import { isLogRecordFile } from './log-source.port';

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

async function localFile(path: string): Promise<LogFile> {
  const { size } = await stat(path);
  return {
    name: path,
    size,
    gzip: await startsWithGzipMagic(path),
    open: async () => createReadStream(path, { highWaterMark: 1 << 20 }),
  };
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/**
 * Invocation logs on disk: one file (read whatever its name), or a folder read recursively as Bedrock lays it out
 * in S3 (`AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz`), in path order.
 * Gzip is recognised by its magic bytes, not the name.
 */
export class LocalLogSource implements LogSource {
  constructor(private readonly path: string) {}

  async files(): Promise<readonly LogFile[]> {
    let info;
    try {
      info = await stat(this.path);
    } catch (err) {
      throw new ReportError(
        'input',
        `cannot read logs at ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
    if (info.isFile()) return [await localFile(this.path)];
    const paths: string[] = [];
    await walk(this.path, paths);
    const logs = paths.filter((p) => isLogRecordFile(relative(this.path, p))).sort();
    if (logs.length === 0)
      throw new ReportError('input', `no log files (*.json.gz, *.json, *.jsonl) under ${this.path}`);
    return Promise.all(logs.map(localFile));
  }
}
