import { NovaCostError } from '@nova-cost/domain';

/** An S3 location. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/**
 * `s3://bucket/key…` split into bucket and key; a validation error naming `field` when it is not one, or when its key
 * has a `.` or `..` segment (S3 keeps them as they are, but tools that map keys to paths read them as folders).
 */
export function parseS3Uri(uri: string, field = 's3Uri'): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m)
    throw new NovaCostError(
      'validation',
      `${field} must be s3://bucket[/prefix], got ${JSON.stringify(uri.slice(0, 120))}`,
      { details: { field } },
    );
  const key = m[2] ?? '';
  if (key.split('/').some((segment) => segment === '.' || segment === '..'))
    throw new NovaCostError(
      'validation',
      `${field} must not have "." or ".." segments, got ${JSON.stringify(uri.slice(0, 120))}`,
      { details: { field } },
    );
  return { bucket: m[1]!, key };
}

/** The key under a prefix, with exactly one slash between them. */
export function under(prefix: string, name: string): string {
  return prefix === '' || prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
}
