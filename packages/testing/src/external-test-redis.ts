import { NovaCostError } from '@nova-cost/domain';
import { adminCommand } from './redis-admin';
import type { TestRedis } from './test-redis';

/** A TestRedis at REDIS_URL: shared, so it cannot be stopped or paused. */
export class ExternalTestRedis implements TestRedis {
  readonly kind = 'external';
  readonly controllable = false;

  private constructor(
    readonly url: string,
    readonly host: string,
    readonly port: number,
  ) {}

  static fromUrl(url: string): ExternalTestRedis {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new NovaCostError('configuration', `REDIS_URL must be a URL like redis://host:6379, got '${url}'`, {
        cause: err,
      });
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new NovaCostError('configuration', `REDIS_URL must be redis:// or rediss://, got ${parsed.protocol}//…`);
    }
    return new ExternalTestRedis(url, parsed.hostname, Number(parsed.port || 6379));
  }

  stop(): Promise<void> {
    return this.refuse('stop');
  }
  pause(): Promise<void> {
    return this.refuse('pause');
  }
  resume(): Promise<void> {
    return this.refuse('resume');
  }
  restart(): Promise<void> {
    return this.refuse('restart');
  }
  async flush(): Promise<void> {
    await adminCommand(this.url, 'FLUSHDB');
  }
  async close(): Promise<void> {}

  private async refuse(action: string): Promise<never> {
    throw new NovaCostError(
      'validation',
      `cannot ${action} the Redis at REDIS_URL: it is not owned by the test; use startTestRedis({ controllable: true }) for fault tests`,
    );
  }
}
