import { freePort } from '@nova-cost/testing';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probe, rssMiB, startChildServer } from './child-server';

const BASELINE = fileURLToPath(new URL('../node-http-baseline.child.mjs', import.meta.url));

describe('startChildServer', () => {
  it('starts a server in its own process, reports its pid and memory, and stops it', async () => {
    const port = await freePort();
    const server = await startChildServer({
      name: 'baseline',
      args: [BASELINE],
      port,
      env: { PORT: String(port), BASELINE_BODY: Buffer.from('{}').toString('base64') },
    });
    try {
      expect(server.pid).not.toBe(process.pid);
      expect(await probe(server.url)).toBe(200);
      expect(rssMiB(server.pid)).toBeGreaterThan(1);
    } finally {
      await server.stop();
    }
    expect(await probe(server.url)).toBe(0);
  }, 60_000);

  it('says what the process printed when it exits before answering', async () => {
    const port = await freePort();
    await expect(
      startChildServer({ name: 'broken server', args: [BASELINE], port, env: { PORT: 'none' } }),
    ).rejects.toThrow(/broken server exited \(code 1\).*PORT must be a port number/s);
  }, 60_000);

  it('refuses a port another server already holds, instead of measuring that server', async () => {
    const other = createServer((_, res) => res.end('not the server under test'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;
    try {
      await expect(
        startChildServer({ name: 'baseline', args: [BASELINE], port, env: { PORT: String(port) } }),
      ).rejects.toThrow(`baseline: port ${port} is already taken`);
    } finally {
      other.close();
    }
  });
});
