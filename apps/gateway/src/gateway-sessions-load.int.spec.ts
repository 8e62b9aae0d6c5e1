import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { SonicConversation, SonicInput, SonicTranscript } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { gauge } from './testing/gateway-probes';

const SONIC = 'amazon.nova-sonic-v1:0';
const SESSIONS = 50;
const TURNS = 2;
/**
 * What the gateway may hold for one session whatever its client's pace: the HTTP/2 stream's write buffer toward the
 * client (16 KiB and the frame in hand) and its read buffer from the client (at most the 64 KiB flow-control window),
 * with room to spare. Each answer (two turns of 2.4 s of speech) is about 400 KB on the wire.
 */
const PER_SESSION_BOUND = 128 * 1024;

let gateway: Gateway;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  const document = {
    tenants: [{ id: 'load', apiKeys: ['load-api-key'], sigv4: [{ accessKeyId: 'load', secret: 'load-secret' }] }],
    policy: { sessions: { default: { maxConcurrent: SESSIONS } } },
  };
  gateway = await startGateway(
    { ...loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify(document) }), port: 0 },
    { logger: createLogger('silent'), emfIntervalMs: 0 },
  );
  gateway.localBedrock!.configure({ latency: { fixedMs: 0, perOutputTokenMs: 0 } });
  client = new BedrockRuntimeClient({
    endpoint: gateway.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'load', secretAccessKey: 'load-secret' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await gateway?.shutdown();
});

const metric = (name: string) => gauge(gateway.url, name);

describe('50 concurrent speech sessions through the gateway', () => {
  it('hold a bounded number of bytes each while their clients do not read, then complete once they do', async () => {
    // Every session asks two spoken questions at once; its client takes the first event and then reads nothing.
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const talk = new SonicConversation({ maxTokens: 12 });
        const input = new SonicInput();
        input.send(talk.start());
        for (let turn = 0; turn < TURNS; turn++) input.send(talk.audio(0.5, i * TURNS + turn + 1));
        const out = await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }));
        return { talk, input, out };
      }),
    );
    // Each relay now waits for its client: the model is read no further, however much it has to say.
    await expect.poll(() => metric('nova_cost_speech_sessions_waiting_client')).toBe(SESSIONS);
    expect(await metric('nova_cost_speech_sessions_open')).toBe(SESSIONS);
    const held = await metric('nova_cost_speech_session_buffered_bytes');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(SESSIONS * PER_SESSION_BOUND);
    expect(gateway.localBedrock!.stats().sessions).toMatchObject({ started: SESSIONS, completed: 0 });

    // The clients read: every answer arrives whole, and every session is recorded.
    const transcripts = await Promise.all(
      sessions.map(async ({ talk, input, out }) => {
        const transcript = new SonicTranscript();
        const reading = transcript.read(out.body);
        await transcript.waitFor('contentEnd', 4 * TURNS);
        input.send(talk.end());
        input.end();
        return reading;
      }),
    );
    for (const t of transcripts) {
      expect(t.text.USER).toHaveLength(TURNS);
      expect(t.types.at(-1)).toBe('completionEnd');
      expect(t.deltas).toEqual(t.total);
    }
    // Far more went through each relay than it ever held.
    const audio = transcripts.reduce((sum, t) => sum + t.audioBytes, 0);
    expect(audio).toBeGreaterThan(2 * held);
    expect(gateway.localBedrock!.stats().sessions).toEqual({ started: SESSIONS, completed: SESSIONS, abandoned: 0 });
    const costs = (await (
      await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'load-api-key' } })
    ).json()) as {
      total: { calls: number };
    };
    expect(costs.total.calls).toBe(SESSIONS);
    // Nothing is left behind: no session state, no bytes held.
    await expect.poll(() => metric('nova_cost_speech_sessions_open')).toBe(0);
    expect(await metric('nova_cost_speech_session_buffered_bytes')).toBe(0);
  });
});
