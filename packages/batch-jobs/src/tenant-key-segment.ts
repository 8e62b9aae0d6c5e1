import { NovaCostError } from '@nova-cost/domain';

/** Longest tenant id the queue keeps (encoded): S3 keys end at 1,024 bytes, and the prefix and id need room too. */
const MAX_SEGMENT_BYTES = 512;

/**
 * A tenant id as one segment of an S3 key: percent-encoded (`/`, `%`, spaces, non-ASCII…), and `.` / `..` — which S3
 * keeps as they are but consoles, SDK path handling and `aws s3 sync` read as "this folder" and "the folder above" —
 * with their dots encoded too. Any tenant id maps to its own segment, never outside `calls/` or `results/`, and back
 * (tenantOfKeySegment). Ids without those characters are their own segment, as they were stored before.
 * Empty or too long: a validation error.
 */
export function tenantKeySegment(tenantId: string): string {
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new NovaCostError('validation', 'tenant id must be a non-empty string to key its async invocations', {
      details: { field: 'tenantId' },
    });
  const encoded = encodeURIComponent(tenantId);
  const segment = /^\.+$/.test(encoded) ? encoded.replace(/\./g, '%2E') : encoded;
  if (segment.length > MAX_SEGMENT_BYTES)
    throw new NovaCostError(
      'validation',
      `tenant id is ${segment.length} bytes as an S3 key segment; at most ${MAX_SEGMENT_BYTES} fit`,
      { details: { field: 'tenantId' } },
    );
  return segment;
}

/**
 * The segment builds before tenantKeySegment keyed a tenant id as: the id itself. It differs from tenantKeySegment's
 * only for ids of dots alone (`.`, `..`), which the tenants schema allows; undefined for every other id.
 */
export function legacyTenantKeySegment(tenantId: string): string | undefined {
  return /^\.+$/.test(tenantId) ? tenantId : undefined;
}

/**
 * The tenant id of a key segment tenantKeySegment wrote, or of a literal `.`/`..` segment written before it
 * (legacyTenantKeySegment); undefined for one neither could have written.
 */
export function tenantOfKeySegment(segment: string): string | undefined {
  if (legacyTenantKeySegment(segment) !== undefined) return segment;
  try {
    const tenantId = decodeURIComponent(segment);
    return tenantKeySegment(tenantId) === segment ? tenantId : undefined;
  } catch {
    return undefined;
  }
}
