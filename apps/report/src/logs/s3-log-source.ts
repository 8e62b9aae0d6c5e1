import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { ReportError } from '../report-error';
import type { LogFile, LogSource } from './log-source.port';
import { isLogRecordFile } from './log-source.port';

/** Bucket and prefix of an `s3://bucket/prefix` URL, or undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  return m ? { bucket: m[1]!, prefix: m[2] ?? '' } : undefined;
}

/**
 * Invocation logs under an S3 prefix, read with the caller's credentials (the SDK's default chain): every record
 * object below it (offloaded bodies under `data/` left out), in key order, which is hour order in Bedrock's layout.
 */
export class S3LogSource implements LogSource {
  constructor(
    private readonly client: S3Client,
    private readonly url: string,
  ) {}

  async files(): Promise<readonly LogFile[]> {
    const where = parseS3Url(this.url);
    if (!where) throw new ReportError('usage', `${this.url} is not an s3://bucket/prefix URL`);
    const files: LogFile[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: where.bucket, Prefix: where.prefix },
      )) {
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/') || !isLogRecordFile(o.Key.slice(where.prefix.length))) continue;
          const key = o.Key;
          files.push({
            name: `s3://${where.bucket}/${key}`,
            size: o.Size ?? 0,
            gzip: key.endsWith('.gz'),
            open: async () => {
              const { Body } = await this.client.send(new GetObjectCommand({ Bucket: where.bucket, Key: key }));
              if (!Body) throw new ReportError('source', `s3://${where.bucket}/${key} has no body`);
              return Body as Readable;
            },
          });
        }
      }
    } catch (err) {
      if (err instanceof ReportError) throw err;
      const e = err as { name?: string; message?: string };
      throw new ReportError('source', `cannot list ${this.url}: ${e.name ?? 'Error'}: ${e.message ?? ''}`.trim(), {
        cause: err,
      });
    }
    if (files.length === 0) throw new ReportError('input', `no log files (*.json.gz) under ${this.url}`);
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
