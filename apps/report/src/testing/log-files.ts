import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';

const made: string[] = [];
// Each spec file loads this module afresh: its folders go when the file's specs are done.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temporary folder for a spec's log files, removed after the spec file. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nova-cost-report-'));
  made.push(dir);
  return dir;
}

/** Lines as Bedrock delivers them: JSON lines, gzip. A string is written as the line it is (to write bad ones). */
export function jsonLines(records: readonly unknown[]): string {
  return records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

export async function writeLogFile(
  root: string,
  relative: string,
  records: readonly unknown[],
  options: { gzip?: boolean } = {},
): Promise<string> {
  const path = join(root, relative);
  await mkdir(dirname(path), { recursive: true });
  const text = jsonLines(records);
  await writeFile(path, options.gzip === false ? text : gzipSync(text));
  return path;
}
