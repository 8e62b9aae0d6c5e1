import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { NovaCostError } from '@nova-cost/domain';
import { EventSignatureChain } from './event-signature-chain';

/** What the edge knows of a request when it checks its signature. */
export interface SignedRequest {
  readonly method: string;
  /** The raw request target as sent (path still percent-encoded, query included). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** An Authorization header that passed `checkHeaders`: what its signature is checked with once the body is in. */
export interface ParsedSignature {
  readonly accessKeyId: string;
  readonly day: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaderList: string;
  readonly signature: string;
  readonly secret: string;
  /** x-amz-date, in ms since the epoch. */
  readonly at: number;
}

export interface SigV4VerifierOptions {
  /** Largest accepted distance between x-amz-date and the gateway's clock. @default 300000 (5 min) */
  readonly maxSkewMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The payload hash of a request whose body is an event stream signed event by event (InvokeModelWithBidirectionalStream). */
export const STREAMING_EVENTS_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-EVENTS';

/** The only service a credential scope may name: what every Bedrock runtime client signs for. */
export const SIGNING_SERVICE = 'bedrock';
/** An AWS region name (us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5…). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;:-]+),\s*Signature=([0-9a-f]{64})$/;

function denied(message: string, reason: 'unauthenticated' | 'forbidden' = 'forbidden'): NovaCostError {
  return new NovaCostError('access-denied', message, { details: { reason } });
}

function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * Verifies AWS SigV4 signatures by recomputing them over the request as received, with node:crypto: the canonical
 * request as the AWS SDK's signer (@smithy/signature-v4) builds it, and the derived signing key kept per access key,
 * day, region and service, so a request costs two SHA-256 hashes and one HMAC.
 *
 * As Bedrock does, a validly signed request is accepted again for as long as its date is within the skew window:
 * clients that sign no per-call nonce (aws4fetch in the AI SDK, curl) send byte-identical signatures for identical
 * requests, and those are the cache hits and coalesced calls the gateway exists for. The scope must name the
 * service `bedrock` and a well-formed region; which region does not matter (the gateway calls Bedrock in its own
 * region), but the signature covers it, so it cannot be changed in transit.
 */
export class SigV4Verifier {
  private readonly maxSkewMs: number;
  private readonly now: () => number;
  /** Derived signing keys by access key, day, region and service, each with the secret it came from: they change once a day. */
  private readonly keys = new Map<string, { readonly secret: string; readonly key: Buffer }>();
  /** Raw request paths and their SDK form (see escapedPath). */
  private readonly paths = new Map<string, string>();
  /**
   * Signatures found valid, each as the sha256 of everything its canonical request and signing key were built from,
   * the secret included (see check): the same signed request again (a client replaying it, a cache hit) is accepted
   * without building and signing its canonical request a second time, a rotated secret is not taken for the old one,
   * and each costs 44 bytes however long its URL and headers. Its date is still checked against the skew window on
   * every request.
   */
  private readonly verified = new Set<string>();
  private lastDate = { at: NaN, text: '' };

  constructor(
    private readonly secretOf: (accessKeyId: string) => string | undefined,
    options: SigV4VerifierOptions = {},
  ) {
    this.maxSkewMs = options.maxSkewMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * What the headers alone can refuse, before the body is read: the Authorization shape, the access key, the
   * date and its distance from now. Returns the header as parsed, for `verifyParsed` once the body has arrived.
   */
  checkHeaders(headers: SignedRequest['headers'], authorization: string): ParsedSignature {
    return this.parse(headers, authorization);
  }

  /** Returns the access key id of a valid signature; throws 'access-denied' otherwise. */
  async verify(request: SignedRequest, authorization: string): Promise<string> {
    return this.check(request, this.parse(request.headers, authorization), 'body');
  }

  /**
   * `verify` of a request whose headers `checkHeaders` already judged (its Authorization parsed once): the access key
   * id of a valid signature, synchronously; throws 'access-denied' otherwise.
   */
  verifyParsed(request: SignedRequest, parsed: ParsedSignature): string {
    // Again now that the body has arrived: a slow upload must not stretch how long a captured request can be replayed.
    this.checkSkew(parsed.at, request.headers['x-amz-date']);
    return this.check(request, parsed, 'body');
  }

  /**
   * The signature of a request whose body is an event stream, each event signed on its own and chained from this
   * signature (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS, as the AWS SDK sends
   * InvokeModelWithBidirectionalStream): checked without the body, and the chain its events are checked with.
   */
  async verifyEventStream(
    request: Omit<SignedRequest, 'body'>,
    authorization: string,
  ): Promise<{ accessKeyId: string; events: EventSignatureChain }> {
    const parsed = this.parse(request.headers, authorization);
    const accessKeyId = this.check({ ...request, body: Buffer.alloc(0) }, parsed, 'events');
    const { region, service, signature, secret } = parsed;
    const events = new EventSignatureChain({
      seedSignature: signature,
      credentials: { accessKeyId, secretAccessKey: secret },
      region,
      service,
      maxSkewMs: this.maxSkewMs,
      now: this.now,
    });
    return { accessKeyId, events };
  }

  private check(request: SignedRequest, parsed: ParsedSignature, payload: 'body' | 'events'): string {
    const { accessKeyId, day, region, service, signedHeaderList, signature, secret, at } = parsed;
    const signed = signedHeaderList.split(';');
    // HTTP/2 clients (the SDK's default handler) sign :authority instead of host.
    if (!signed.includes('host') && !signed.includes(':authority'))
      throw denied('the signature must cover the host (or :authority) header');
    const headers: Record<string, string> = {};
    // What the signature covers, one field a line (a request target or a header value holds no line break): the
    // scope, the date, the request line, each signed header's value and, below, the payload hash.
    let covered = `${accessKeyId}\n${day}\n${region}\n${service}\n${signedHeaderList}\n${signature}\n${at}\n${request.method}\n${request.url}`;
    for (const name of signed) {
      // Over HTTP/2 the host travels as :authority.
      const value = request.headers[name] ?? (name === 'host' ? request.headers[':authority'] : undefined);
      if (value === undefined) throw denied(`signed header ${name} is missing from the request`);
      headers[name] = Array.isArray(value) ? value.join(',') : value;
      covered += `\n${headers[name]}`;
    }
    // The signer trusts a given x-amz-content-sha256 as the payload hash: check it against the body we got, or, for an
    // event stream, that it says each event is signed (the chain then covers the body).
    const claimedHash = headers['x-amz-content-sha256'];
    if (payload === 'events') {
      if (claimedHash !== STREAMING_EVENTS_PAYLOAD)
        throw denied(
          `an event stream must be signed event by event: sign x-amz-content-sha256: ${STREAMING_EVENTS_PAYLOAD}, as the AWS SDK does`,
        );
    } else if (claimedHash !== undefined && claimedHash !== sha256Hex(request.body)) {
      throw denied('x-amz-content-sha256 does not match the request body (unsigned or altered payload)');
    }
    // The signer takes a given x-amz-content-sha256 as the payload hash; it was checked above.
    const payloadHash = claimedHash ?? sha256Hex(request.body);
    covered += `\n${payloadHash}\n${secret}`;
    const memo = hash('sha256', covered, 'base64');
    if (this.verified.has(memo)) return accessKeyId;
    const { rawPath, query } = splitTarget(request.url);
    const date = this.amzDateOf(at);
    const signedPart = `${canonicalQuery(query)}\n${canonicalHeaders(headers, date)}\n${payloadHash}`;
    const scope = `${day}/${region}/${service}/aws4_request`;
    const key = this.signingKey(accessKeyId, secret, day, region, service);
    const given = Buffer.from(signature, 'hex');
    // The AWS SDKs escape the already-encoded path once more (uriEscapePath); curl --aws-sigv4 and some other
    // clients sign the path as sent. Either way the signature needs the secret, so both forms are accepted.
    let ok = false;
    for (const path of [this.escapedPath(rawPath), rawPath]) {
      const canonicalRequest = `${request.method}\n${path}\n${signedPart}`;
      const stringToSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${sha256Hex(canonicalRequest)}`;
      ok = timingSafeEqual(createHmac('sha256', key).update(stringToSign).digest(), given);
      if (ok) break;
    }
    if (!ok) throw denied('the request signature does not match: check the secret access key and signing method');
    // Requests come from clients: past a few thousand start again.
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.add(memo);
    return accessKeyId;
  }

  /** x-amz-date as the signer wrote it for `at`: the same few values over and over, so the last one is kept. */
  private amzDateOf(at: number): string {
    if (at !== this.lastDate.at) this.lastDate = { at, text: amzDateOf(at) };
    return this.lastDate.text;
  }

  /** The SDK form of a path: paths repeat (one per model and operation), so each is escaped once. */
  private escapedPath(rawPath: string): string {
    let escaped = this.paths.get(rawPath);
    if (escaped === undefined) {
      escaped = escapedPath(rawPath);
      // Paths come from requests: past a few hundred start again.
      if (this.paths.size >= MAX_KEPT_PATHS) this.paths.clear();
      this.paths.set(rawPath, escaped);
    }
    return escaped;
  }

  /** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request"), kept for the day. */
  private signingKey(accessKeyId: string, secret: string, day: string, region: string, service: string): Buffer {
    const id = `${accessKeyId}\n${day}\n${region}\n${service}`;
    const kept = this.keys.get(id);
    // A key derived from a secret the access key no longer has is derived again.
    if (kept?.secret === secret) return kept.key;
    let key = Buffer.from(`AWS4${secret}`);
    for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    // Regions come from requests: past a few hundred keys (days, regions, access keys) start again.
    if (this.keys.size >= MAX_SIGNING_KEYS) this.keys.clear();
    this.keys.set(id, { secret, key });
    return key;
  }

  private checkSkew(at: number, dateHeader: SignedRequest['headers'][string]): void {
    if (Math.abs(this.now() - at) > this.maxSkewMs)
      throw denied(
        `signature expired: x-amz-date ${dateHeader} is more than ${this.maxSkewMs / 1000} s from the gateway time`,
      );
  }

  private parse(requestHeaders: SignedRequest['headers'], authorization: string): ParsedSignature {
    const m = AUTH.exec(authorization.trim());
    if (!m)
      throw denied(
        'the Authorization header is not an AWS4-HMAC-SHA256 signature with Credential, SignedHeaders and Signature',
      );
    const [, accessKeyId, day, region, service, signedHeaderList, signature] = m as unknown as string[];
    if (service !== SIGNING_SERVICE)
      throw denied(
        `the credential scope must name the service ${SIGNING_SERVICE}, got ${JSON.stringify(service)}: sign for Bedrock`,
      );
    if (!REGION.test(region!))
      throw denied(`the credential scope must name an AWS region such as us-east-1, got ${JSON.stringify(region)}`);
    const secret = this.secretOf(accessKeyId!);
    if (secret === undefined)
      throw denied('the security token included in the request is invalid: unknown access key id', 'forbidden');
    const dateHeader = requestHeaders['x-amz-date'];
    const at = typeof dateHeader === 'string' ? amzDate(dateHeader) : NaN;
    if (!Number.isFinite(at) || dateHeader!.slice(0, 8) !== day)
      throw denied('the x-amz-date header is missing, malformed or does not match the credential scope date');
    this.checkSkew(at, dateHeader);
    return {
      accessKeyId: accessKeyId!,
      day: day!,
      region: region!,
      service: service!,
      signedHeaderList: signedHeaderList!,
      signature: signature!,
      secret,
      at,
    };
  }
}
/** Signing keys kept at most (access keys × regions × days in use). */
const MAX_SIGNING_KEYS = 256;
/** Valid signatures kept at most (see SigV4Verifier.verified). */
const MAX_VERIFIED = 4096;
/** Escaped request paths kept at most (models × operations in use). */
const MAX_KEPT_PATHS = 512;
/** Headers the SDK's signer sets itself (dropped from what it is given), and the one it never signs here. */
const GENERATED = new Set(['authorization', 'x-amz-date', 'date']);

/** What the signer's whitespace rules would change in a header value. */
const UNTIDY = /[\r\n\t]| {2}|^ | $/;

/** crypto.hash: one call, no Hash object (about 1 µs less per digest than createHash on a request's sizes). */
const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

/** The x-amz-date of `at` (its ISO form without separators or milliseconds). */
function amzDateOf(at: number): string {
  return new Date(at)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** RFC 3986 escaping as the AWS signers do it (encodeURIComponent leaves !'()* alone). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path as the AWS SDK signs it (uriEscapePath): empty and `.` segments dropped, `..` applied, escaped again. */
function escapedPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** The raw path, and the query's parameters as URLSearchParams decodes them (undefined without a query). */
function splitTarget(url: string): { rawPath: string; query: URLSearchParams | undefined } {
  const mark = url.indexOf('?');
  return mark < 0
    ? { rawPath: url, query: undefined }
    : { rawPath: url.slice(0, mark), query: new URL(url, 'http://gateway.invalid').searchParams };
}

/** Parameters sorted by escaped name (the signature's own left out), repeated ones by their `name=value` pairs. */
function canonicalQuery(query: URLSearchParams | undefined): string {
  if (!query) return '';
  const byName = new Map<string, string[]>();
  for (const [name, value] of query) {
    if (name.toLowerCase() === 'x-amz-signature') continue;
    const escaped = escapeUri(name);
    const pairs = byName.get(escaped) ?? [];
    pairs.push(`${escaped}=${escapeUri(value)}`);
    byName.set(escaped, pairs);
  }
  return [...byName.keys()]
    .sort()
    .map((name) => byName.get(name)!.sort().join('&'))
    .join('&');
}

/**
 * The canonical headers block and the signed-header list, as the SDK's signer builds them from the signed headers:
 * names sorted, values with line breaks, tabs and space runs made one space, one leading and trailing space cut;
 * x-amz-date always (the signer sets it), authorization and date never.
 */
function canonicalHeaders(signed: Readonly<Record<string, string>>, amzDate: string): string {
  const values: Record<string, string> = { 'x-amz-date': amzDate };
  for (const name of Object.keys(signed)) {
    if (GENERATED.has(name)) continue;
    const value = signed[name]!;
    // Most values have nothing to tidy: one test instead of three replacements.
    values[name] = UNTIDY.test(value)
      ? value
          .replace(/[\r\n]/g, ' ')
          .replace(/[ \t]+/g, ' ')
          .replace(/^ | $/g, '')
      : value;
  }
  const names = Object.keys(values).sort();
  return `${names.map((n) => `${n}:${values[n]}\n`).join('')}\n${names.join(';')}`;
}
