import {
  BedrockRuntimeClient,
  InvokeModelWithBidirectionalStreamCommand,
  ServiceUnavailableException,
} from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import { RedisSpendLedger } from '@nova-cost/caching';
import type { SonicUsageTotals, TestRedis } from '@nova-cost/testing';
import { SonicConversation, SonicInput, SonicTranscript, startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatewayChild } from './testing/gateway-child';
import { rejection } from './testing/sdk-probes';

const SONIC = 'amazon.nova-sonic-v1:0';

let bedrock: LocalBedrock;
let redis: TestRedis;

beforeAll(async () => {
  bedrock = await startLocalBedrock({ latency: { fixedMs: 0, perOutputTokenMs: 0 } });
  redis = await startTestRedis();
});
afterAll(async () => {
  await bedrock?.close();
  await redis?.close();
});

/** Nova Sonic in us-east-1, by hand from the price table: text 0.06 in, 0.24 out; speech 3.4 in, 13.6 out per 1M. */
const sonicUsd = (u: SonicUsageTotals): number =>
  (u.input.textTokens * 0.06 + u.output.textTokens * 0.24 + u.input.speechTokens * 3.4 + u.output.speechTokens * 13.6) /
  1e6;

describe('speech sessions in a gateway process', () => {
  it('ends every session on SIGTERM with a ServiceUnavailableException, records each in the ledger and exits 0', async () => {
    const gateway = await runGatewayChild({
      BEDROCK_ENDPOINT: bedrock.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      REDIS_URL: redis.url,
      DRAIN_DEADLINE_MS: '30000',
    });
    const client = new BedrockRuntimeClient({
      endpoint: gateway.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
      maxAttempts: 1,
    });
    try {
      // Three conversations under way: each has heard an answer and stays open, as a live call does.
      const sessions = await Promise.all(
        [1, 2, 3].map(async (seed) => {
          const talk = new SonicConversation({ maxTokens: 40 });
          const input = new SonicInput();
          input.send([...talk.start(), ...talk.audio(1, seed)]);
          const out = await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: SONIC, body: input }));
          const transcript = new SonicTranscript();
          const reading = transcript.read(out.body);
          reading.catch(() => undefined);
          await transcript.waitFor('contentEnd', 4); // heard, speculative text, audio, final text
          return { transcript, reading };
        }),
      );
      gateway.child.kill('SIGTERM');
      for (const { reading } of sessions) {
        const error = await rejection(reading);
        expect(error).toBeInstanceOf(ServiceUnavailableException);
        expect(error.message).toMatch(/the gateway is shutting down: the session was ended; open a new one/);
      }
      const { code, stdout } = await gateway.exit;
      expect(code).toBe(0);
      expect(stdout.match(/"msg":"speech session"/g)).toHaveLength(3);
      expect(stdout.match(/"end":"shutting-down"/g)).toHaveLength(3);
      await expect.poll(() => bedrock.stats().sessions.abandoned).toBe(3);
      // Settled before the process let go of Redis: each session's usage, as its client was told it.
      const connection = new Redis(redis.url);
      await connection.ping();
      const ledger = new RedisSpendLedger(connection, {}, true);
      try {
        const { total } = await ledger.totals({ tenantId: 'demo' });
        expect(total.calls).toBe(3);
        const told = sessions.reduce((sum, s) => sum + sonicUsd(s.transcript.total!), 0);
        expect(told).toBeGreaterThan(0);
        expect(total.costUsd).toBeCloseTo(told, 12);
      } finally {
        await ledger.close(1_000);
      }
    } finally {
      client.destroy();
      gateway.child.kill('SIGKILL');
    }
  });
});
