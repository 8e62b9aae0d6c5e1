import { NovaCostError } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import type { PlannedInvocation } from '@nova-cost/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import { HttpModelInvoker } from './testing/http-model-invoker';

// The local Bedrock endpoint enforcing a quota as Bedrock does: calls over the rate are throttled.
let endpoint: LocalBedrock;
let upstream: HttpModelInvoker;
const throttledCalls = () => endpoint.stats().faults;

beforeAll(async () => {
  // 10 calls in any 500 ms: 1,200 a minute.
  endpoint = await startLocalBedrock({
    latency: { fixedMs: 5 },
    faults: { quota: { requestsPerWindow: 10, windowMs: 500 } },
  });
  upstream = new HttpModelInvoker(endpoint.url);
});
afterAll(async () => {
  await endpoint.close();
});

const ask = (n: number): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-micro-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text: `quota ${n}` }] }] },
  });

describe('BatchingInvoker with a requests-per-minute quota, against an endpoint that enforces the rate', () => {
  it('waits for capacity, so every request is answered', async () => {
    endpoint.reset();
    // 720 a minute with a burst of 2: at most 2 + 6 calls sent in any 500 ms. A busy machine may still bunch a few
    // up on the way, so a throttle is allowed its retry (the control below, with one attempt, loses requests).
    const batcher = new BatchingInvoker(upstream, {
      concurrency: 16,
      quotas: { default: { requestsPerMinute: 720, burstSeconds: 0.2 } },
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, n) => batcher.invoke(ask(n))));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(endpoint.stats().calls).toBe(24 + throttledCalls());
  });

  it('is throttled without the quota (the control)', async () => {
    endpoint.reset();
    const batcher = new BatchingInvoker(upstream, { concurrency: 16, retry: { maxAttempts: 1 } });
    const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, n) => batcher.invoke(ask(n))));
    const throttled = outcomes.filter((o) => o.status === 'rejected' && NovaCostError.is(o.reason, 'throttled'));
    expect(throttled.length).toBe(throttledCalls());
    expect(throttled.length).toBeGreaterThan(0);
  });
});
