import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fresh temporary folder for a spec's log files. */
export const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'nova-cost-report-'));

/** Lines as Bedrock delivers them: JSON lines, gzip. A string is written as the line it is (to write bad ones). */
export function jsonLines(records: readonly unknown[]): string {
  return records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

export async function writeLogFile(root: string, relative: string, records: readonly unknown[], options: { gzip?: boolean } = {}): Promise<string> {
  const path = join(root, relative);
  await mkdir(dirname(path), { recursive: true });
  const text = jsonLines(records);
  await writeFile(path, options.gzip === false ? text : gzipSync(text));
  return path;
}
