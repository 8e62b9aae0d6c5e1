import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { JsonObject } from '@nova-cost/domain';
import { isNotFound, mapAwsError } from './aws-error.mapper';
import { jsonWithSources } from './json-with-sources';
import { parseS3Uri, under } from './s3-uri';
import type { KeptCall, StoredCall, StoredManifest, StoredResult } from './stored-state';
import { legacyTenantKeySegment, tenantKeySegment, tenantOfKeySegment } from './tenant-key-segment';

/**
 * The queue's durable state in S3, under one prefix:
 * `calls/<tenant>/<id>.json` (accepted, not answered; `<tenant>` is the tenant id as tenantKeySegment encodes it), `results/<tenant>/<id>.json` (answered),
 * `batches/<batch>/manifest.json` (the calls of a job, until all are answered), `batches/<batch>/input/records.jsonl`
 * and `batches/<batch>/output/` (what Bedrock writes). S3 is the state; what the queue holds in memory is rebuilt
 * from it at start.
 */
export class S3StateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  putCall(call: StoredCall): Promise<void> {
    // A caller's model input is written as the bytes it came as, not serialised again on the event loop.
    return this.put(this.callKey(call.request.tenantId, call.id), jsonWithSources(call), 'application/json');
  }

  getCall(tenantId: string, id: string): Promise<KeptCall | undefined> {
    return this.getKept<KeptCall>('calls', tenantId, id);
  }

  async deleteCall(tenantId: string, id: string): Promise<void> {
    for (const key of this.keptKeys('calls', tenantId, id)) await this.delete(key);
  }

  /** Every call kept and not answered, by tenant and id. */
  listCalls(tenantId?: string): Promise<{ tenantId: string; id: string }[]> {
    return this.listKept('calls', tenantId);
  }

  putResult(result: StoredResult): Promise<void> {
    return this.putJson(this.resultKey(result.tenantId, result.id), result);
  }

  getResult(tenantId: string, id: string): Promise<StoredResult | undefined> {
    return this.getKept<StoredResult>('results', tenantId, id);
  }

  /** Answered calls, by tenant and id: of one tenant, or of all. */
  listResults(tenantId?: string): Promise<{ tenantId: string; id: string }[]> {
    return this.listKept('results', tenantId);
  }

  putManifest(manifest: StoredManifest): Promise<void> {
    return this.putJson(this.batchKey(manifest.batchId, 'manifest.json'), manifest);
  }

  getManifest(batchId: string): Promise<StoredManifest | undefined> {
    return this.getJson<StoredManifest>(this.batchKey(batchId, 'manifest.json'));
  }

  deleteManifest(batchId: string): Promise<void> {
    return this.delete(this.batchKey(batchId, 'manifest.json'));
  }

  /** Ids of the batches whose manifest is kept: those with calls not answered yet. */
  async listManifests(): Promise<string[]> {
    return (await this.keys(under(this.prefix, 'batches/'))).flatMap((key) => {
      const m = /^batches\/([a-z0-9]+)\/manifest\.json$/.exec(key.slice(this.prefix.length));
      return m ? [m[1]!] : [];
    });
  }

  /** Writes a job's input file; its S3 URI. */
  async putInput(batchId: string, jsonl: string | Uint8Array): Promise<string> {
    const key = this.batchKey(batchId, 'input/records.jsonl');
    await this.put(key, jsonl, 'application/jsonl');
    return `s3://${this.bucket}/${key}`;
  }

  /** Where a job writes its output (Bedrock adds `<job id>/`). */
  outputUri(batchId: string): string {
    return `s3://${this.bucket}/${this.batchKey(batchId, 'output/')}`;
  }

  /** The text of every record output file (`*.jsonl.out`) a batch's job wrote. */
  async readOutputs(batchId: string): Promise<string[]> {
    const keys = (await this.keys(this.batchKey(batchId, 'output/')))
      .map((k) => k)
      .filter((k) => k.endsWith('.jsonl.out'));
    return Promise.all(keys.map(async (key) => (await this.getText(key))!));
  }

  /** Writes a caller's answer to `<uri>/<id>/output.json` in the caller's own bucket. */
  async putCallerOutput(uri: string, id: string, body: JsonObject): Promise<void> {
    const at = parseS3Uri(uri, 'outputDataConfig.s3OutputDataConfig.s3Uri');
    const key = under(at.key, `${id}/output.json`);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: at.bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `writing the answer to s3://${at.bucket}/${key}`);
    }
  }

  private callKey(tenantId: string, id: string): string {
    return under(this.prefix, `calls/${tenantKeySegment(tenantId)}/${id}.json`);
  }

  private resultKey(tenantId: string, id: string): string {
    return under(this.prefix, `results/${tenantKeySegment(tenantId)}/${id}.json`);
  }

  /** Where a call's document is kept: its key, then the one builds before tenantKeySegment used, if it differs. */
  private keptKeys(folder: 'calls' | 'results', tenantId: string, id: string): string[] {
    const legacy = legacyTenantKeySegment(tenantId);
    const key = folder === 'calls' ? this.callKey(tenantId, id) : this.resultKey(tenantId, id);
    return legacy === undefined ? [key] : [key, under(this.prefix, `${folder}/${legacy}/${id}.json`)];
  }

  /** The documents of a folder, by tenant and id: of one tenant (in its folder, and its legacy one), or of all. */
  private async listKept(folder: 'calls' | 'results', tenantId?: string): Promise<{ tenantId: string; id: string }[]> {
    const legacy = tenantId === undefined ? undefined : legacyTenantKeySegment(tenantId);
    const bases =
      tenantId === undefined
        ? [`${folder}/`]
        : [`${folder}/${tenantKeySegment(tenantId)}/`, ...(legacy === undefined ? [] : [`${folder}/${legacy}/`])];
    const keys = await Promise.all(bases.map((base) => this.keys(under(this.prefix, base))));
    const shape = new RegExp(`^${folder}/([^/]+)/([a-z0-9]+)\\.json$`);
    return keys.flat().flatMap((key) => {
      const m = shape.exec(key.slice(this.prefix.length));
      const tenant = m ? tenantOfKeySegment(m[1]!) : undefined;
      return tenant === undefined ? [] : [{ tenantId: tenant, id: m![2]! }];
    });
  }

  private async getKept<T>(folder: 'calls' | 'results', tenantId: string, id: string): Promise<T | undefined> {
    for (const key of this.keptKeys(folder, tenantId, id)) {
      const kept = await this.getJson<T>(key);
      if (kept !== undefined) return kept;
    }
    return undefined;
  }

  private batchKey(batchId: string, name: string): string {
    return under(this.prefix, `batches/${batchId}/${name}`);
  }

  private async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw mapAwsError(error, `listing s3://${this.bucket}/${prefix}`);
    }
    return keys;
  }

  private async getText(key: string): Promise<string | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await answer.Body!.transformToString();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw mapAwsError(error, `reading s3://${this.bucket}/${key}`);
    }
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    const text = await this.getText(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  private putJson(key: string, value: unknown): Promise<void> {
    return this.put(key, JSON.stringify(value), 'application/json');
  }

  private async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw mapAwsError(error, `writing s3://${this.bucket}/${key}`);
    }
  }

  private async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw mapAwsError(error, `deleting s3://${this.bucket}/${key}`);
    }
  }
}
