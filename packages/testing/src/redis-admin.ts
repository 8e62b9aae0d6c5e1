import { Redis } from 'ioredis';

/** Run one admin command on a short-lived connection that never retries or queues. */
export async function adminCommand(url: string, command: string, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}
