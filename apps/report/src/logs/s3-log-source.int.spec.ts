import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../testing/log-files';
import { converseRecord } from '../testing/log-records';
import type { LocalS3 } from '../testing/local-s3';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../testing/local-s3';
import type { LoggedCall } from './logged-call';
import { readLogRecords } from './read-log-records';
import { ReadProblems } from './read-problems';
import { parseS3Url, S3LogSource } from './s3-log-source';

const PREFIX = 'bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/03/02';

describe(S3LogSource, () => {
  let s3: LocalS3;

  beforeAll(async () => {
    s3 = await startLocalS3('shop-logs');
    await s3.put(`${PREFIX}/10/b.json.gz`, gzipSync(jsonLines([converseRecord({ requestId: 's3-3' })])));
    await s3.put(
      `${PREFIX}/09/a.json.gz`,
      gzipSync(jsonLines([converseRecord({ requestId: 's3-1' }), converseRecord({ requestId: 's3-2' })])),
    );
    await s3.put(`${PREFIX}/09/data/abc_input.json.gz`, gzipSync('{"messages":[]}\n'));
    const cut = gzipSync(
      jsonLines(
        Array.from({ length: 300 }, (_, i) => converseRecord({ requestId: `cut-${i}` }, `q ${i} ${'z'.repeat(i)}`)),
      ),
    );
    await s3.put(`${PREFIX}/11/c.json.gz`, cut.subarray(0, cut.length >> 1));
    await s3.put('other/unrelated.json.gz', gzipSync(jsonLines([converseRecord({ requestId: 'elsewhere' })])));
  });

  afterAll(async () => {
    await s3?.close();
  });

  it('reads every record object under the prefix in key order and leaves offloaded bodies out', async () => {
    const source = new S3LogSource(s3.client, 's3://shop-logs/bedrock/');
    const files = await source.files();
    expect(files.map((f) => f.name)).toEqual([
      `s3://shop-logs/${PREFIX}/09/a.json.gz`,
      `s3://shop-logs/${PREFIX}/10/b.json.gz`,
      `s3://shop-logs/${PREFIX}/11/c.json.gz`,
    ]);
    expect(files.every((f) => f.gzip && f.size > 0)).toBe(true);
    const problems = new ReadProblems();
    const calls: LoggedCall[] = [];
    for await (const c of readLogRecords(files, problems)) calls.push(c);
    expect(calls.slice(0, 3).map((c) => c.requestId)).toEqual(['s3-1', 's3-2', 's3-3']);
    expect(calls.length).toBeGreaterThan(3);
    expect(problems.summary().named).toMatchObject([
      {
        file: `s3://shop-logs/${PREFIX}/11/c.json.gz`,
        reason: expect.stringMatching(/^gzip stream truncated or corrupt/),
      },
    ]);
  });

  it('says which prefix holds no logs', async () => {
    await expect(new S3LogSource(s3.client, 's3://shop-logs/nothing-here/').files()).rejects.toThrow(
      'no log files (*.json.gz) under s3://shop-logs/nothing-here/',
    );
  });

  it('names the bucket it cannot list', async () => {
    await expect(new S3LogSource(s3.client, 's3://no-such-bucket/x').files()).rejects.toThrow(
      /^cannot list s3:\/\/no-such-bucket\/x: NoSuchBucket/,
    );
  });

  it('names an S3 endpoint it cannot reach', async () => {
    const dead = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
      maxAttempts: 1,
    });
    await expect(new S3LogSource(dead, 's3://shop-logs/').files()).rejects.toThrow(/^cannot list s3:\/\/shop-logs\/: /);
    dead.destroy();
  });
});

describe(parseS3Url, () => {
  it.each([
    ['s3://bucket/a/b/', { bucket: 'bucket', prefix: 'a/b/' }],
    ['s3://my.bucket-1', { bucket: 'my.bucket-1', prefix: '' }],
    ['s3:/bucket', undefined],
    ['https://bucket.s3.amazonaws.com/x', undefined],
    ['s3://UPPER/x', undefined],
  ])('%s → %o', (url, expected) => {
    expect(parseS3Url(url)).toEqual(expected);
  });
});
