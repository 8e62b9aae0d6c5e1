import type { RedisServerProcess } from './redis-server.process';
import { adminCommand } from './redis-admin';
import type { TestRedis } from './test-redis';

/** A TestRedis backed by a redis-server child process this suite owns. */
export class ProcessTestRedis implements TestRedis {
  readonly kind = 'process';
  readonly controllable = true;

  constructor(private readonly server: RedisServerProcess) {}

  get host(): string {
    return this.server.host;
  }
  get port(): number {
    return this.server.port;
  }
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
  pause(): Promise<void> {
    return this.server.pause();
  }
  resume(): Promise<void> {
    return this.server.resume();
  }
  restart(): Promise<void> {
    return this.server.restart();
  }
  async flush(): Promise<void> {
    await adminCommand(this.url, 'FLUSHALL');
  }
  close(): Promise<void> {
    return this.server.stop();
  }
}
