import {
  BedrockRuntimeClient,
  InvokeModelWithBidirectionalStreamCommand,
  ModelStreamErrorException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { SonicConversation, SonicInput, SonicTranscript } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBedrock } from '../start-local-bedrock';
import { startLocalBedrock } from '../start-local-bedrock';

const SONIC = 'amazon.nova-sonic-v1:0';
const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};
const WEATHER = {
  name: 'getWeather',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
    required: ['city', 'days'],
  },
};

let bedrock: LocalBedrock;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  // The SDK's default handler: HTTP/2, as it always is for this operation.
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
});

/** One spoken turn: system prompt, `seconds` of speech, the answer, the end. */
async function spokenTurn(seconds: number, signal?: AbortSignal): Promise<SonicTranscript> {
  const talk = new SonicConversation({ maxTokens: 60 });
  const input = new SonicInput();
  input.send([...talk.start(), ...talk.text('SYSTEM', 'You are a helpful assistant.'), ...talk.audio(seconds)]);
  const out = await client.send(
    new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }),
    signal ? { abortSignal: signal } : {},
  );
  const transcript = new SonicTranscript();
  const reading = transcript.read(out.body);
  // A stream that breaks first rejects the wait too: `reading` then says why.
  await transcript.waitFor('contentEnd', 4).catch(() => undefined); // ASR, speculative text, audio, final text
  input.send(talk.end());
  input.end();
  return reading;
}

describe('InvokeModelWithBidirectionalStream (Nova Sonic)', () => {
  it('answers a spoken turn with a transcript, text, audio and usage in speech and text tokens', async () => {
    const t = await spokenTurn(2);
    expect(t.types[0]).toBe('completionStart');
    expect(t.types.at(-1)).toBe('completionEnd');
    expect(t.text.USER).toHaveLength(1);
    expect(t.text.ASSISTANT).toHaveLength(2); // speculative, then final
    expect(t.text.ASSISTANT[0]).toBe(t.text.ASSISTANT[1]);
    expect(t.audioBytes).toBeGreaterThan(0);
    expect(t.audioBytes % 4800).toBe(0); // 0.1 s chunks of 24 kHz 16-bit mono
    // 2 s of speech at 25 tokens a second in; what was said out; the system prompt (28 characters) as text.
    expect(t.total?.input).toEqual({ speechTokens: 50, textTokens: 7 });
    expect(t.total?.output.speechTokens).toBe((t.audioBytes / 48000) * 25);
    expect(t.total?.output.textTokens).toBeGreaterThan(0);
    expect(t.deltas).toEqual(t.total); // deltas add up to the running total
    expect(bedrock.stats().sessions).toEqual({ started: 1, completed: 1, abandoned: 0 });
  });

  it('says the same words and the same audio to the same conversation', async () => {
    const [a, b] = [await spokenTurn(1), await spokenTurn(1)];
    expect(b.text).toEqual(a.text);
    expect(b.audioBytes).toBe(a.audioBytes);
    expect(b.total).toEqual(a.total);
  });

  it('calls a tool the prompt offers, with an input fitting its schema, and answers its result', async () => {
    const talk = new SonicConversation({ tools: [WEATHER] });
    const input = new SonicInput();
    input.send([...talk.start(), ...talk.text('USER', 'What is the weather in Paris, getWeather?', true)]);
    const out = await client.send(
      new InvokeModelWithBidirectionalStreamCommand({ modelId: 'amazon.nova-2-sonic-v1:0', body: input }),
    );
    const t = new SonicTranscript();
    const reading = t.read(out.body);
    await t.waitFor('toolUse');
    const call = t.toolUses[0]!;
    expect(call.toolName).toBe('getWeather');
    expect(call.input).toEqual({ city: expect.any(String), days: expect.any(Number) });
    expect((call.input as { days: number }).days).toBeGreaterThanOrEqual(1);
    input.send(talk.toolResult(call.toolUseId, { forecast: 'sunny' }));
    await t.waitFor('audioOutput');
    input.send(talk.end());
    input.end();
    await reading;
    expect(t.toolUses).toHaveLength(1);
    expect(t.text.ASSISTANT.length).toBeGreaterThan(0);
  });

  it('refuses a session that does not begin with sessionStart with a ValidationException event', async () => {
    const talk = new SonicConversation();
    const input = new SonicInput();
    input.send(talk.start().slice(1));
    input.end();
    // The SDK reads the stream's first event before send() resolves: an exception there rejects send() itself.
    const error = await client
      .send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }))
      .then((out) => new SonicTranscript().read(out.body))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/first event must be sessionStart, got promptStart/);
  });

  it('refuses a model that does not speak, before the stream starts', async () => {
    const input = new SonicInput();
    input.end();
    const error = await client
      .send(new InvokeModelWithBidirectionalStreamCommand({ modelId: 'amazon.nova-lite-v1:0', body: input }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/does not support InvokeModelWithBidirectionalStream/);
  });

  it('breaks a session mid-way with the injected exception event', async () => {
    bedrock.configure({ faults: { midStream: { kind: 'exception', afterEvents: 3 } } });
    const error = await spokenTurn(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelStreamErrorException);
    expect(bedrock.stats().faults).toBe(1);
  });

  it('counts a session whose client aborts as abandoned', async () => {
    const release = bedrock.hold();
    const abort = new AbortController();
    const talk = new SonicConversation();
    const input = new SonicInput();
    input.send([...talk.start(), ...talk.audio(1)]);
    // Held, the session sends nothing, so send() (which waits for the first event) is still pending when it aborts.
    const session = client
      .send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }), {
        abortSignal: abort.signal,
      })
      .then((out) => new SonicTranscript().read(out.body))
      .catch((e: unknown) => e);
    await expect.poll(() => bedrock.stats().calls).toBe(1);
    abort.abort();
    expect(await session).toBeInstanceOf(Error);
    release();
    await expect.poll(() => bedrock.stats().sessions.abandoned).toBe(1);
  });
});
