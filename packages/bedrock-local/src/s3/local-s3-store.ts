import { createHash } from 'node:crypto';

/** One stored object. */
export interface LocalS3Object {
  readonly body: Buffer;
  /** MD5 of the body, hex, as S3 gives single-part uploads. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
}

export interface ListQuery {
  readonly prefix?: string;
  readonly delimiter?: string;
  /** @default 1000 */
  readonly maxKeys?: number;
  /** Keys after this one (exclusive): ListObjectsV2's continuation token or start-after. */
  readonly after?: string;
}

export interface ListPage {
  readonly objects: readonly { key: string; object: LocalS3Object }[];
  readonly commonPrefixes: readonly string[];
  /** The last key or common prefix returned, when more follow. */
  readonly next?: string;
}

/** Why a store call was refused, in S3's own error codes. */
export class LocalS3Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code:
      | 'NoSuchBucket'
      | 'NoSuchKey'
      | 'PreconditionFailed'
      | 'BucketAlreadyOwnedByYou'
      | 'InvalidBucketName'
      | 'InvalidRequest',
    message: string,
  ) {
    super(message);
  }
}

/** Buckets of objects in memory, the way S3 keeps them: flat keys, listed in key order. */
export class LocalS3Store {
  private readonly buckets = new Map<string, Map<string, LocalS3Object>>();

  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
      throw new LocalS3Refusal(400, 'InvalidBucketName', 'The specified bucket is not valid.');
    if (this.buckets.has(name))
      throw new LocalS3Refusal(
        409,
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    this.buckets.set(name, new Map());
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  /** Stores the object; `ifNoneMatch` ('*') refuses to replace an existing one, as S3's conditional write does. */
  put(
    bucket: string,
    key: string,
    body: Buffer,
    options: { contentType?: string; ifNoneMatch?: boolean } = {},
  ): LocalS3Object {
    const objects = this.bucket(bucket);
    if (options.ifNoneMatch && objects.has(key))
      throw new LocalS3Refusal(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    const object = {
      body,
      etag: createHash('md5').update(body).digest('hex'),
      lastModified: new Date(),
      contentType: options.contentType ?? 'application/octet-stream',
    };
    objects.set(key, object);
    return object;
  }

  get(bucket: string, key: string): LocalS3Object {
    const object = this.bucket(bucket).get(key);
    if (!object) throw new LocalS3Refusal(404, 'NoSuchKey', 'The specified key does not exist.');
    return object;
  }

  /** Deleting what is not there succeeds, as in S3. */
  delete(bucket: string, key: string): void {
    this.bucket(bucket).delete(key);
  }

  list(bucket: string, query: ListQuery = {}): ListPage {
    const prefix = query.prefix ?? '';
    const maxKeys = Math.max(0, Math.min(query.maxKeys ?? 1000, 1000));
    const after = query.after;
    // A page that ended on a common prefix goes on past every key under it.
    const pastRolled = after !== undefined && query.delimiter !== undefined && after.endsWith(query.delimiter);
    const keys = [...this.bucket(bucket).keys()]
      .filter(
        (k) => k.startsWith(prefix) && (after === undefined || (k > after && !(pastRolled && k.startsWith(after)))),
      )
      .sort();
    const objects: { key: string; object: LocalS3Object }[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    for (const key of keys) {
      const cut = query.delimiter ? key.indexOf(query.delimiter, prefix.length) : -1;
      const rolled = cut >= 0 ? key.slice(0, cut + query.delimiter!.length) : undefined;
      if (rolled !== undefined && rolled === commonPrefixes.at(-1)) continue;
      if (objects.length + commonPrefixes.length === maxKeys) return { objects, commonPrefixes, next: last! };
      if (rolled !== undefined) commonPrefixes.push((last = rolled));
      else objects.push({ key: (last = key), object: this.bucket(bucket).get(key)! });
    }
    return { objects, commonPrefixes };
  }

  private bucket(name: string): Map<string, LocalS3Object> {
    const objects = this.buckets.get(name);
    if (!objects) throw new LocalS3Refusal(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return objects;
  }
}
