import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

/** GET /healthz on `agent`, resolving with the socket that carried it. */
function healthz(gateway: Gateway, agent: Agent): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket as Socket));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gateway HTTP/1.1 keep-alive behind a load balancer', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
  });
  afterAll(async () => {
    await gateway?.shutdown();
  });

  it("keeps an idle connection open past Node's 5 s default, as an ALB with a 120 s idle timeout expects", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await healthz(gateway, agent);
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await healthz(gateway, agent);
      expect(second).toBe(first); // the same connection, not a new one after the server closed the idle one
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
