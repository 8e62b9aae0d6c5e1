import type { Readable } from 'node:stream';

/** One file of invocation logs: a local file or an S3 object. */
export interface LogFile {
  /** Path or s3:// URL, as the report names it. */
  readonly name: string;
  /** Size in bytes as stored (compressed), for progress. */
  readonly size: number;
  /** Whether the bytes are gzip (as Bedrock delivers them to S3). */
  readonly gzip: boolean;
  /** The stored bytes. */
  open(): Promise<Readable>;
}

/** Where invocation logs are read from: a folder, a single file, or an S3 prefix. */
export interface LogSource {
  /** The files in the order they are read: by name, which is by hour for Bedrock's S3 layout. */
  files(): Promise<readonly LogFile[]>;
}

/**
 * Whether an object under a log prefix holds log records. Bedrock puts bodies over the inline limit under a
 * `data/` folder beside the records, and a permission-check marker at the top; neither is a record file.
 */
export function isLogRecordFile(path: string): boolean {
  if (/(^|\/)data\//.test(path) || path.includes('permission-check')) return false;
  return /\.(json|jsonl|log)(\.gz)?$/i.test(path) || /\.gz$/i.test(path);
}
