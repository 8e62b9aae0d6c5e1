import type { Lane } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';

/**
 * Maps a logged caller to a tenant of the cost policy, and may set the hints the gateway would take from its
 * headers (`x-nova-cost-lane`, `x-nova-cost-cache-hint`). The first rule that matches applies.
 */
export interface IdentityRule {
  /** Glob over identity.arn (`*` matches any run of characters). @default any identity */
  readonly match?: string;
  /** requestMetadata entries that must all be present with these values. @default {} */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Tenant id for matching calls. @default derived from the ARN (role, user or the ARN itself) */
  readonly tenant?: string;
  readonly lane?: Lane;
  readonly cache?: 'opt-in' | 'opt-out';
}

export interface CallerContext {
  readonly tenantId: string;
  readonly hints?: { readonly lane?: Lane; readonly cache?: 'opt-in' | 'opt-out' };
}

/**
 * The tenant a caller is without a rule: the IAM role of an assumed-role session (sessions of one role are one
 * service), the IAM user, or the ARN's last part; 'unknown' when the log names nobody.
 */
export function defaultTenant(arn: string): string {
  if (arn === '') return 'unknown';
  const assumed = /:assumed-role\/([^/]+)/.exec(arn);
  if (assumed) return assumed[1]!;
  const resource = /^arn:[^:]*:(?:iam|sts)::[^:]*:(?:user|role|federated-user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (resource) return resource[1]!;
  if (/:root$/.test(arn)) return 'root';
  return arn.split(/[:/]/).pop() || arn;
}

const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Applies identity rules to calls, remembering what each identity resolved to. */
export class IdentityMap {
  private readonly compiled: { rule: IdentityRule; re: RegExp | undefined }[];
  private readonly memo = new Map<string, CallerContext>();
  /** Rules that read request metadata make the answer depend on more than the identity: no memo then. */
  private readonly byMetadata: boolean;

  constructor(rules: readonly IdentityRule[] = []) {
    this.compiled = rules.map((rule) => ({
      rule,
      re: rule.match === undefined ? undefined : globToRegExp(rule.match),
    }));
    this.byMetadata = rules.some((r) => r.metadata !== undefined);
  }

  resolve(call: Pick<LoggedCall, 'identityArn' | 'requestMetadata'>): CallerContext {
    const byMetadata = this.byMetadata;
    const memoKey = call.identityArn;
    if (!byMetadata) {
      const known = this.memo.get(memoKey);
      if (known) return known;
    }
    const hit = this.compiled.find(
      ({ rule, re }) =>
        (re === undefined || re.test(call.identityArn)) &&
        Object.entries(rule.metadata ?? {}).every(([k, v]) => call.requestMetadata[k] === v),
    )?.rule;
    const hints = { ...(hit?.lane ? { lane: hit.lane } : {}), ...(hit?.cache ? { cache: hit.cache } : {}) };
    const context: CallerContext = {
      tenantId: hit?.tenant ?? defaultTenant(call.identityArn),
      ...(hit?.lane || hit?.cache ? { hints } : {}),
    };
    // Bounded: one entry per identity, and identities are roles and users, not sessions.
    if (!byMetadata && this.memo.size < 100_000) this.memo.set(memoKey, context);
    return context;
  }
}
