import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { JsonObject } from '@nova-cost/domain';
import { rememberBodySource } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';

const MODEL = 'amazon.nova-lite-v1:0';
/** A Converse body as a client sent it, with a member the SDK does not know (it would drop it when serialising). */
const SENT = '{"messages":[{"role":"user","content":[{"text":"hello bytes"}]}],"callerOnly":{"kept":true}}';

let bedrock: LocalBedrock;
let invoker: BedrockModelInvoker;

/** The body parsed from SENT, remembered with those bytes as the gateway does. */
function parsedWithSource(): JsonObject {
  const bytes = Buffer.from(SENT);
  const body = JSON.parse(bytes.toString('utf8')) as JsonObject;
  rememberBodySource(body, bytes);
  return body;
}

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  bedrock.configure({ latency: { fixedMs: 0, perOutputTokenMs: 0 } });
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
});
afterAll(async () => {
  invoker.destroy();
  await bedrock.close();
});
beforeEach(() => bedrock.reset());

describe("BedrockModelInvoker sending the caller's bytes", () => {
  it('sends a Converse body that reached it unchanged as the bytes the caller sent, and answers as ever', async () => {
    const result = await invoker.invoke(
      plannedCall({ modelId: MODEL, operation: 'converse', body: parsedWithSource() }),
    );
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(bedrock.stats().lastCall).toMatchObject({ operation: 'converse', body: JSON.parse(SENT) });
  });

  it('serialises a changed body (a new object) through the SDK, as before', async () => {
    const changed = { ...parsedWithSource(), inferenceConfig: { maxTokens: 20 } };
    await invoker.invoke(plannedCall({ modelId: MODEL, operation: 'converse', body: changed }));
    const received = bedrock.stats().lastCall!.body as JsonObject;
    expect(received['inferenceConfig']).toEqual({ maxTokens: 20 });
    expect(received).not.toHaveProperty('callerOnly');
  });

  it('sends a ConverseStream body unchanged as the caller sent it', async () => {
    const stream = await invoker.stream(
      plannedCall({ modelId: MODEL, operation: 'converse-stream', body: parsedWithSource() }),
    );
    for await (const _event of stream.events) {
      // read it all
    }
    expect((await stream.report).end).toBe('complete');
    expect(bedrock.stats().lastCall).toMatchObject({ operation: 'converse-stream', body: JSON.parse(SENT) });
  });

  it('sends an InvokeModel body unchanged as the caller sent it', async () => {
    const sent = '{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"hi"}]}]}';
    const body = JSON.parse(sent) as JsonObject;
    rememberBodySource(body, Buffer.from(sent));
    const result = await invoker.invoke(plannedCall({ modelId: MODEL, operation: 'invoke', body }));
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(bedrock.stats().lastCall).toMatchObject({ operation: 'invoke', body: JSON.parse(sent) });
  });
});
