import type { ClusterNode } from 'ioredis';
import type { RedisConnectOptions } from '@nova-cost/caching';
import type { RedisConfig } from '../config/gateway-config';

/** A Redis adapter's two ways to connect: to one node by URL, or to a cluster by its nodes. */
export interface RedisAdapter<T> {
  fromUrl(url: string, options: RedisConnectOptions): T;
  fromCluster(nodes: readonly ClusterNode[], options: RedisConnectOptions): T;
}

/** `adapter` connected to the REDIS_URL servers, with REDIS_PASSWORD and the command timeout when set. */
export function connect<T>(redis: RedisConfig, adapter: RedisAdapter<T>): T {
  const options: RedisConnectOptions = {
    ...(redis.password === undefined ? {} : { password: redis.password }),
    ...(redis.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: redis.commandTimeoutMs }),
  };
  return redis.kind === 'single' ? adapter.fromUrl(redis.url, options) : adapter.fromCluster(redis.nodes, options);
}
