import type { ClusterNode } from 'ioredis';
import type { RedisConnectOptions } from '@nova-cost/caching';
import type { RedisConfig } from '../config/gateway-config';

/** A Redis adapter's two ways to connect: to one node by URL, or to a cluster by its nodes. */
export interface RedisAdapter<T> {
  fromUrl(url: string, auth: RedisConnectOptions): T;
  fromCluster(nodes: readonly ClusterNode[], auth: RedisConnectOptions): T;
}

/** `adapter` connected to the REDIS_URL servers, with REDIS_PASSWORD when set. */
export function connect<T>(redis: RedisConfig, adapter: RedisAdapter<T>): T {
  const auth = redis.password === undefined ? {} : { password: redis.password };
  return redis.kind === 'single' ? adapter.fromUrl(redis.url, auth) : adapter.fromCluster(redis.nodes, auth);
}
