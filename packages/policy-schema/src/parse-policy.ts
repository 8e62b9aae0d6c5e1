import type { CostPolicyRules } from '@nova-cost/domain';
import type { z } from 'zod';
import { policyRulesSchema } from './policy-rules.schema';

/**
 * Refuses a policy value at `path` (e.g. `policy.budgets.default.dailyUsd`), saying what it expects. The value
 * itself is never quoted: the document holds secrets beside the policy.
 */
export type PolicyProblem = (path: string, expected: string) => Error;

/** Fields keyed by ids (tenants, models), whose keys are shown as `["id"]`. */
const KEYED_BY_ID = new Set<PropertyKey>(['byTenant', 'ttlSecondsByModel']);

/** `policy.routes[0].to`, `policy.budgets.byTenant["acme"]`; `tenants[0].id` from the root `''`. */
function pathOf(root: string, path: readonly PropertyKey[]): string {
  let text = root;
  path.forEach((key, i) => {
    if (typeof key === 'number') text += `[${key}]`;
    else if (i > 0 && KEYED_BY_ID.has(path[i - 1]!)) text += `[${JSON.stringify(String(key))}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  });
  return text;
}

/**
 * A zod issue of the document (the policy schema's, or a schema holding it) as `problem(path, what it must be)`:
 * the path from `root` as the document writes it, an unknown field named with the fields its object takes.
 */
export function problemOf(issue: z.core.$ZodIssue, root: string, problem: PolicyProblem): Error {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return problem(
      pathOf(root, [...issue.path, key]),
      `is not a policy field; ${pathOf(root, issue.path)} ${issue.message}`,
    );
  }
  if (issue.code === 'invalid_key') {
    return problem(pathOf(root, issue.path), issue.issues[0]?.message ?? issue.message);
  }
  return problem(pathOf(root, issue.path), issue.message);
}

/**
 * Reads the `policy` section of the tenants document (the gateway's, or the report's `--policy`) as CostPolicyRules:
 * every field's type and range, no unknown fields, a budget's `onExceeded` given as 429/402 read as its outcome.
 * Throws `problem(path, expected)` for the first thing wrong.
 */
export function parsePolicy(value: unknown, problem: PolicyProblem, root = 'policy'): CostPolicyRules {
  const parsed = policyRulesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw problemOf(parsed.error.issues[0]!, root, problem);
}
