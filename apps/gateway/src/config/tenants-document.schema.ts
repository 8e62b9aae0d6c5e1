import { policyRulesSchema } from '@nova-cost/policy-schema';
import { z } from 'zod';
import type { TenantConfig } from './gateway-config';

const ID = 'must be 1-64 letters, digits, _ . or -';
const API_KEYS = 'must be an array of strings of 8 characters or more';
const SIGV4 = 'must be {"accessKeyId": string, "secret": string}';
const WEIGHT = 'must be a number above 0 and at most 1000 (its share of the batching queue)';

const isCredential = (c: unknown): c is { accessKeyId: string; secret: string } =>
  typeof c === 'object' &&
  c !== null &&
  typeof (c as Record<string, unknown>)['accessKeyId'] === 'string' &&
  (c as Record<string, unknown>)['accessKeyId'] !== '' &&
  typeof (c as Record<string, unknown>)['secret'] === 'string' &&
  (c as Record<string, unknown>)['secret'] !== '';

const tenant = z
  .object(
    {
      id: z.string({ error: ID }).regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: ID }),
      apiKeys: z
        .array(z.string({ error: 'must be a string of 8 characters or more' }), { error: API_KEYS })
        .refine((keys) => keys.every((k) => k.length >= 8), { error: API_KEYS })
        .default([]),
      // One credential, or a list of them (a key being rotated).
      sigv4: z.preprocess(
        (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
        z.array(
          z
            .custom<{ accessKeyId: string; secret: string }>(isCredential, { error: SIGV4 })
            .transform(({ accessKeyId, secret }) => ({ accessKeyId, secret })),
        ),
      ),
      weight: z
        .number({ error: WEIGHT })
        .refine((w) => w > 0 && w <= 1000, { error: WEIGHT })
        .optional(),
    },
    { error: `must be {"id", "apiKeys", "sigv4"}` },
  )
  .superRefine((t, ctx) => {
    if (t.apiKeys.length === 0 && t.sigv4.length === 0)
      ctx.addIssue({ code: 'custom', message: `(${t.id}) needs at least one of apiKeys or sigv4` });
  }) satisfies z.ZodType<TenantConfig>;

/**
 * The tenants-and-policy document (NOVA_COST_CONFIG, NOVA_COST_CONFIG_JSON): its tenants and their credentials, and
 * the cost policy (the policy schema, shared with the report). Other top-level fields are left to their readers (the
 * report's `identities` and `batchJobs`).
 */
export const tenantsDocumentSchema = z.object({
  tenants: z.array(tenant),
  policy: policyRulesSchema.default({}),
});
