import { LRUCache } from 'lru-cache';
import { NovaCostError } from '@nova-cost/domain';
import type { ReadOrLock, ResponseStore } from './response-store.port';

export interface InMemoryResponseStoreOptions {
  /** Total size of stored values, in bytes (UTF-8); least recently used entries go first. @default 64 MiB */
  readonly maxBytes?: number;
}

/** Cached responses in this process, bounded by bytes: the embedded default when there is no Redis. */
export class InMemoryResponseStore implements ResponseStore {
  readonly inProcess = true;
  private readonly entries: LRUCache<string, string>;
  private readonly locks = new Map<string, { token: string; until: number }>();

  constructor(options: InMemoryResponseStoreOptions = {}) {
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) {
      throw new NovaCostError('configuration', `maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.entries = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (value) => Math.max(1, Buffer.byteLength(value)),
    });
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, value, { ttl: Math.max(1, Math.ceil(ttlSeconds * 1000)) });
  }

  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(key);
    if (held && held.token !== token && held.until > Date.now()) return false;
    this.locks.set(key, { token, until: Date.now() + ttlMs });
    return true;
  }

  async refreshLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(key);
    if (!held || held.token !== token || held.until <= Date.now()) return false;
    held.until = Date.now() + ttlMs;
    return true;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.locks.get(key)?.token === token) this.locks.delete(key);
  }

  async readOrLock(key: string, lockKey: string, token: string, ttlMs: number): Promise<ReadOrLock> {
    const value = this.entries.get(key);
    return value === undefined ? { locked: await this.tryLock(lockKey, token, ttlMs) } : { value };
  }

  async setAndUnlock(key: string, value: string, ttlSeconds: number, lockKey: string, token: string): Promise<void> {
    await this.set(key, value, ttlSeconds);
    await this.unlock(lockKey, token);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.locks.clear();
  }
}
