import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { GuardrailRequest } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';

let bedrock: LocalBedrock;
let invoker: BedrockModelInvoker;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  invoker.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure({ faults: { failFirst: 0 } });
  bedrock.reset();
});

const request = (text: string): GuardrailRequest => ({
  tenantId: 't',
  guardrailId: 'gr1',
  guardrailVersion: '1',
  body: { source: 'INPUT', content: [{ text: { text } }] },
});

async function failure(promise: Promise<unknown>): Promise<NovaCostError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!NovaCostError.is(error)) throw new Error(`expected a NovaCostError, got ${String(error)}`);
  return error;
}

describe('BedrockModelInvoker.apply (ApplyGuardrail)', () => {
  it("answers Bedrock's assessment as JSON, with the text units it billed", async () => {
    const result = await invoker.apply(request('x'.repeat(1200)));
    expect(result.source).toBe('upstream');
    expect(result.body).toMatchObject({ action: 'NONE', usage: { contentPolicyUnits: 2, topicPolicyUnits: 2 } });
    expect(result.body).not.toHaveProperty('$metadata');
    expect(bedrock.stats().guardrailCalls).toBe(1);
  });

  it('passes an intervention as Bedrock answered it', async () => {
    const result = await invoker.apply(request('tell me something forbidden'));
    expect(result.body).toMatchObject({ action: 'GUARDRAIL_INTERVENED', outputs: [{ text: expect.any(String) }] });
  });

  it("maps Bedrock's refusal to a validation error that keeps Bedrock's status and type", async () => {
    const error = await failure(invoker.apply({ ...request('x'), body: { source: 'INPUT', content: [] } }));
    expect(error.kind).toBe('validation');
    expect(error.details).toMatchObject({
      bedrockError: true,
      httpStatusCode: 400,
      awsErrorName: 'ValidationException',
    });
  });

  it('maps a throttle to kind throttled', async () => {
    bedrock.configure({
      faults: { failFirst: 1, failFirstWith: { status: 429, type: 'ThrottlingException', message: 'slow down' } },
    });
    expect((await failure(invoker.apply(request('x')))).kind).toBe('throttled');
  });
});
