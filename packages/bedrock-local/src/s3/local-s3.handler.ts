import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-exchange';
import type { LocalS3Object, LocalS3Store } from './local-s3-store';
import { LocalS3Refusal } from './local-s3-store';

// The subset of S3's REST API (path-style addressing) that batch inference needs: buckets, objects, ListObjectsV2,
// conditional writes. Requests are not authenticated: any credentials sign.

const XML_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    'x-amz-request-id': randomUUID(),
  });
  res.end(text);
}

function sendRefusal(res: ServerResponse, req: IncomingMessage, refusal: LocalS3Refusal): void {
  // A HEAD answer has no body: the SDK reads the status alone (NotFound for 404).
  if (req.method === 'HEAD') {
    res.writeHead(refusal.status, { 'x-amz-request-id': randomUUID() });
    res.end();
    return;
  }
  sendXml(
    res,
    refusal.status,
    `<Error><Code>${refusal.code}</Code><Message>${xmlEscape(refusal.message)}</Message></Error>`,
  );
}

function objectHeaders(object: LocalS3Object): Record<string, string> {
  return {
    etag: `"${object.etag}"`,
    'last-modified': object.lastModified.toUTCString(),
    'content-type': object.contentType,
    'content-length': String(object.body.length),
    'x-amz-request-id': randomUUID(),
  };
}

/**
 * The payload of an `aws-chunked` upload (what the SDK sends for a stream of unknown length): chunks of
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`, ending with a zero-size chunk and optional trailers.
 */
export function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) throw new LocalS3Refusal(400, 'InvalidRequest', 'malformed aws-chunked body');
    const size = parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new LocalS3Refusal(400, 'InvalidRequest', 'malformed aws-chunked body');
    if (size === 0) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function listXml(store: LocalS3Store, bucket: string, q: URLSearchParams): string {
  const token = q.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? undefined);
  const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : 1000;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? undefined;
  const page = store.list(bucket, {
    prefix,
    ...(delimiter ? { delimiter } : {}),
    maxKeys,
    ...(after !== undefined ? { after } : {}),
  });
  const contents = page.objects
    .map(
      ({ key, object }) =>
        `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>&quot;${object.etag}&quot;</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  const prefixes = page.commonPrefixes
    .map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`)
    .join('');
  const next =
    page.next === undefined
      ? ''
      : `<NextContinuationToken>${Buffer.from(page.next, 'utf8').toString('base64url')}</NextContinuationToken>`;
  return (
    `<ListBucketResult xmlns="${XML_NS}"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
    `<KeyCount>${page.objects.length + page.commonPrefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
    `${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<IsTruncated>${page.next !== undefined}</IsTruncated>` +
    `${token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}${contents}${prefixes}${next}</ListBucketResult>`
  );
}

/** Answers one S3 request from the store. */
export async function handleS3Request(store: LocalS3Store, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const slash = url.pathname.indexOf('/', 1);
  const bucket = decodeURIComponent(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
  const key = slash < 0 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
  const raw = await readBody(req);
  try {
    if (bucket === '')
      return sendXml(res, 200, `<ListAllMyBucketsResult xmlns="${XML_NS}"><Buckets/></ListAllMyBucketsResult>`);
    if (key === '') {
      if (req.method === 'PUT') {
        store.createBucket(bucket);
        res.writeHead(200, { location: `/${bucket}`, 'content-length': '0' });
        return void res.end();
      }
      if (req.method === 'HEAD') {
        if (!store.hasBucket(bucket))
          throw new LocalS3Refusal(404, 'NoSuchBucket', 'The specified bucket does not exist');
        res.writeHead(200, { 'content-length': '0' });
        return void res.end();
      }
      if (req.method === 'GET') return sendXml(res, 200, listXml(store, bucket, url.searchParams));
    } else {
      if (req.method === 'PUT') {
        const chunked =
          /aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) ||
          String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
        const body = chunked ? decodeAwsChunked(raw) : raw;
        const contentType = req.headers['content-type'];
        const object = store.put(bucket, key, body, {
          ...(contentType ? { contentType } : {}),
          ifNoneMatch: req.headers['if-none-match'] === '*',
        });
        res.writeHead(200, { etag: `"${object.etag}"`, 'content-length': '0', 'x-amz-request-id': randomUUID() });
        return void res.end();
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const object = store.get(bucket, key);
        res.writeHead(200, objectHeaders(object));
        return void res.end(req.method === 'GET' ? object.body : undefined);
      }
      if (req.method === 'DELETE') {
        store.delete(bucket, key);
        res.writeHead(204, { 'x-amz-request-id': randomUUID() });
        return void res.end();
      }
    }
    sendXml(
      res,
      405,
      `<Error><Code>MethodNotAllowed</Code><Message>The local S3 does not serve ${xmlEscape(req.method ?? '?')} here.</Message></Error>`,
    );
  } catch (error) {
    if (error instanceof LocalS3Refusal) return sendRefusal(res, req, error);
    throw error;
  }
}
