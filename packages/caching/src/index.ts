export * from './response-store.port';
export * from './response-envelope';
export * from './circuit-breaker';
export * from './caching-stats';
export * from './caching-invoker.options';
export * from './caching-invoker';
export * from './redis-response-store';
export * from './in-memory-response-store';
