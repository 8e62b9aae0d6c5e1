import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import { NovaCostError } from '@nova-cost/domain';
import { SonicConversation, SonicInput, SonicTranscript } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockBidirectionalStreams } from './bedrock-bidirectional-streams';

const SONIC = 'amazon.nova-sonic-v1:0';
const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};

let bedrock: LocalBedrock;
let streams: BedrockBidirectionalStreams;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  streams = new BedrockBidirectionalStreams({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
});
afterAll(async () => {
  streams.close();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
});

/** The client's side of a spoken turn, fed as the model answers. */
function spokenTurn(seconds: number) {
  const talk = new SonicConversation({ maxTokens: 40 });
  const input = new SonicInput();
  input.send([...talk.start(), ...talk.audio(seconds)]);
  const events = (async function* () {
    for await (const { chunk } of input) yield chunk.bytes;
  })();
  return { talk, input, events };
}

async function read(output: AsyncIterable<Uint8Array>, transcript = new SonicTranscript()): Promise<SonicTranscript> {
  return transcript.read(
    (async function* () {
      for await (const bytes of output) yield { chunk: { bytes } };
    })(),
  );
}

async function failure(promise: Promise<unknown>): Promise<NovaCostError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!NovaCostError.is(error)) throw new Error(`expected a NovaCostError, got ${String(error)}`);
  return error;
}

describe(BedrockBidirectionalStreams, () => {
  it("opens a session over the SDK's HTTP/2 stream and yields the model's events as JSON bytes", async () => {
    const { talk, input, events } = spokenTurn(1);
    const output = await streams.open({ modelId: SONIC, input: events, signal: new AbortController().signal });
    const transcript = new SonicTranscript();
    const reading = read(output, transcript);
    await transcript.waitFor('contentEnd', 4);
    input.send(talk.end());
    input.end();
    const t = await reading;
    expect(t.types[0]).toBe('completionStart');
    expect(t.types.at(-1)).toBe('completionEnd');
    expect(t.audioBytes).toBeGreaterThan(0);
    expect(t.total?.input.speechTokens).toBe(25);
    expect(bedrock.stats().sessions).toEqual({ started: 1, completed: 1, abandoned: 0 });
  });

  it("rejects a model's refusal with Bedrock's status and name", async () => {
    const input = new SonicInput();
    input.end();
    const events = (async function* () {
      for await (const { chunk } of input) yield chunk.bytes;
    })();
    const error = await failure(
      streams.open({ modelId: 'amazon.nova-lite-v1:0', input: events, signal: new AbortController().signal }),
    );
    expect(error.kind).toBe('validation');
    expect(error.upstream).toEqual({ name: 'ValidationException', status: 400 });
    expect(error.message).toMatch(/does not support InvokeModelWithBidirectionalStream/);
  });

  it("throws a mid-session exception event with the event's name", async () => {
    bedrock.configure({ faults: { midStream: { kind: 'exception', afterEvents: 3 } } });
    const { events } = spokenTurn(1);
    const output = await streams.open({ modelId: SONIC, input: events, signal: new AbortController().signal });
    const error = await failure(read(output));
    expect(error.kind).toBe('upstream-unavailable');
    expect(error.upstream).toMatchObject({ name: 'ModelStreamErrorException' });
  });

  it('closes the HTTP/2 stream when the signal is aborted mid-session', async () => {
    const { events } = spokenTurn(1);
    const abort = new AbortController();
    const output = await streams.open({ modelId: SONIC, input: events, signal: abort.signal });
    const transcript = new SonicTranscript();
    const reading = read(output, transcript);
    await transcript.waitFor('audioOutput');
    abort.abort();
    expect((await failure(reading)).kind).toBe('aborted');
    await expect.poll(() => bedrock.stats().sessions.abandoned).toBe(1);
  });
});
