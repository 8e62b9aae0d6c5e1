import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { JsonObject } from '@nova-cost/domain';
import { rememberBodySource } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3StateStore } from './s3-state-store';
import type { StoredCall } from './stored-state';

const BUCKET = 'state';
let bedrock: LocalBedrock;
let s3: S3Client;

beforeAll(async () => {
  bedrock = await startLocalBedrock({ s3: {} });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: bedrock.batch.s3Url!,
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3?.destroy();
  await bedrock?.close();
});

describe(S3StateStore, () => {
  describe('.putCall', () => {
    it('writes a model input remembered with the bytes it came as as those bytes, and reads the call back as written', async () => {
      // Spacing JSON.stringify would not write: only bytes copied as they came keep it.
      const text = '{ "messages" : [ { "role" : "user", "content" : [ { "text" : "kept as sent" } ] } ] }';
      const body = JSON.parse(text) as JsonObject;
      rememberBodySource(body, Buffer.from(text));
      const request = plannedCall({
        tenantId: 'acme',
        body,
        requested: { tenantId: 'acme', modelId: 'amazon.nova-lite-v1:0', operation: 'converse', body },
      });
      const call: StoredCall = {
        v: 2,
        id: 'c1',
        clientRequestToken: 'token-1',
        fingerprint: 'f1',
        submittedAt: '2026-03-01T00:00:00.000Z',
        deadline: '2026-03-02T00:00:00.000Z',
        request,
      };
      const store = new S3StateStore(s3, BUCKET, 'queue/');
      await store.putCall(call);
      const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'queue/calls/acme/c1.json' }));
      expect(await stored.Body!.transformToString()).toContain(`"body":${text}`);
      expect(await store.getCall('acme', 'c1')).toEqual(JSON.parse(JSON.stringify(call)));
    });
  });
});
