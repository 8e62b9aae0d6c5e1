import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from './local-s3.handler';
import { LocalS3Refusal, LocalS3Store } from './local-s3-store';

function storeWith(keys: string[]): LocalS3Store {
  const store = new LocalS3Store();
  store.createBucket('bucket');
  for (const k of keys) store.put('bucket', k, Buffer.from(k));
  return store;
}

describe(LocalS3Store, () => {
  describe('.list', () => {
    it('pages in key order and goes on after the last key of a page', () => {
      const store = storeWith(['b', 'a', 'd', 'c']);
      const first = store.list('bucket', { maxKeys: 3 });
      expect(first.objects.map((o) => o.key)).toEqual(['a', 'b', 'c']);
      expect(store.list('bucket', { maxKeys: 3, after: first.next! }).objects.map((o) => o.key)).toEqual(['d']);
    });

    it('rolls keys up to common prefixes and does not repeat one on the next page', () => {
      const store = storeWith(['p/a/1', 'p/a/2', 'p/b/1', 'p/c']);
      const first = store.list('bucket', { prefix: 'p/', delimiter: '/', maxKeys: 1 });
      expect(first.commonPrefixes).toEqual(['p/a/']);
      const second = store.list('bucket', { prefix: 'p/', delimiter: '/', maxKeys: 5, after: first.next! });
      expect(second.commonPrefixes).toEqual(['p/b/']);
      expect(second.objects.map((o) => o.key)).toEqual(['p/c']);
    });
  });

  it('refuses a missing bucket, a missing key and a replaced conditional write with S3 codes', () => {
    const store = storeWith(['k']);
    expect(() => store.get('nope', 'k')).toThrow(expect.objectContaining({ code: 'NoSuchBucket', status: 404 }));
    expect(() => store.get('bucket', 'x')).toThrow(expect.objectContaining({ code: 'NoSuchKey', status: 404 }));
    expect(() => store.put('bucket', 'k', Buffer.from('again'), { ifNoneMatch: true })).toThrow(LocalS3Refusal);
    expect(() => store.createBucket('Not_Valid')).toThrow(expect.objectContaining({ code: 'InvalidBucketName' }));
  });
});

describe(decodeAwsChunked, () => {
  it('joins the chunks of an aws-chunked upload and drops signatures and trailers', () => {
    const raw = Buffer.from('5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(raw).toString()).toBe('hello world');
  });

  it('refuses a body that is not aws-chunked', () => {
    expect(() => decodeAwsChunked(Buffer.from('zz\r\n'))).toThrow(/malformed aws-chunked/);
  });
});
