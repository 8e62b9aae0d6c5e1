import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { SampleOptions } from './sample-workload';
import { sampleRecords } from './sample-workload';

/**
 * Writes the sample as Bedrock delivers logs to S3: gzip JSON lines, one file per hour under
 * `AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/`. Streams, so a million records need
 * little memory. Returns how many files and records it wrote.
 */
export async function writeSampleLogs(
  dir: string,
  options: SampleOptions = {},
): Promise<{ files: number; records: number }> {
  let current: { hour: string; gzip: ReturnType<typeof createGzip>; done: Promise<unknown> } | undefined;
  let files = 0;
  let records = 0;
  const close = async () => {
    if (!current) return;
    current.gzip.end();
    await current.done;
    current = undefined;
  };
  for (const r of sampleRecords(options)) {
    const at = String(r['timestamp']);
    const hour = `${at.slice(0, 4)}/${at.slice(5, 7)}/${at.slice(8, 10)}/${at.slice(11, 13)}`;
    if (current?.hour !== hour) {
      await close();
      const path = join(
        dir,
        'AWSLogs',
        String(r['accountId']),
        'BedrockModelInvocationLogs',
        String(r['region']),
        hour,
        `${hour.replace(/\//g, '')}_sample.json.gz`,
      );
      await mkdir(dirname(path), { recursive: true });
      const gzip = createGzip();
      const out = createWriteStream(path);
      gzip.pipe(out);
      current = { hour, gzip, done: once(out, 'close') };
      files += 1;
    }
    if (!current.gzip.write(`${JSON.stringify(r)}\n`)) await once(current.gzip, 'drain');
    records += 1;
  }
  await close();
  return { files, records };
}
