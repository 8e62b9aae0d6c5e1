import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const PASSWORD = 'auth-token-0123456789abcdef';
const converse = (gateway: Gateway) =>
  fetch(`${gateway.url}/model/amazon.nova-lite-v1%3A0/converse`, {
    method: 'POST',
    headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'behind Redis AUTH' }] }],
      inferenceConfig: { temperature: 0 },
    }),
  });

describe('a gateway on a Redis that requires AUTH (REDIS_PASSWORD, as an ElastiCache auth token)', () => {
  let redis: TestRedis;
  let gateway: Gateway;
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true }); // its own server: requirepass must not reach a shared one
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
    gateway = await startGateway(
      { ...loadConfig({ REDIS_URL: redis.url, REDIS_PASSWORD: PASSWORD }), port: 0 },
      { logger: createLogger('silent'), emfIntervalMs: 0 },
    );
  });
  afterAll(async () => {
    await gateway?.shutdown();
    await redis?.close();
  });

  it('authenticates, so a repeated request is a Redis hit and the spend reaches the shared ledger', async () => {
    await expect
      .poll(
        async () => {
          await converse(gateway);
          return (await converse(gateway)).headers.get('x-nova-cost-cache');
        },
        { interval: 200 },
      )
      .toBe('hit');
    const reader = new Redis(redis.url, { password: PASSWORD });
    try {
      expect((await reader.keys('nc:v1:*')).length).toBeGreaterThan(0);
      // The ledger writes every 200 ms, off the answer path.
      await expect
        .poll(async () => (await reader.keys('nc:spend:v1:*')).length, { timeout: 10_000 })
        .toBeGreaterThan(0);
    } finally {
      reader.disconnect();
    }
  });
});
