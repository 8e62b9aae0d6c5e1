import { adminCommand } from './redis-admin';
import { freePort } from './free-port';
import { waitForPong } from './redis-ping';
import type { TestRedis } from './test-redis';

/** The few dockerode calls the container mode needs (testcontainers exposes the dockerode container). */
interface DockerContainer {
  pause(): Promise<unknown>;
  unpause(): Promise<unknown>;
  kill(): Promise<unknown>;
  start(): Promise<unknown>;
}

/**
 * A Redis in a testcontainers container, bound to a fixed host port so restart keeps it.
 * testcontainers is imported lazily: suites that find redis-server never load it.
 */
export async function startContainerTestRedis(image: string): Promise<TestRedis> {
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const port = await freePort();
  const started = await new GenericContainer(image)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withExposedPorts({ container: 6379, host: port })
    .start();
  const docker = client.container.getById(started.getId()) as unknown as DockerContainer;
  const host = started.getHost() === 'localhost' ? '127.0.0.1' : started.getHost();
  const url = `redis://${host}:${port}`;
  let running = true;
  return {
    url,
    host,
    port,
    kind: 'container',
    controllable: true,
    async stop() {
      if (running) await docker.kill();
      running = false;
    },
    async pause() {
      await docker.pause();
    },
    async resume() {
      await docker.unpause();
    },
    async restart() {
      if (running) await docker.kill();
      await docker.start();
      running = true;
      await waitForPong(host, port, 10_000);
    },
    async flush() {
      await adminCommand(url, 'FLUSHALL');
    },
    async close() {
      running = false;
      await started.stop({ remove: true });
    },
  };
}
