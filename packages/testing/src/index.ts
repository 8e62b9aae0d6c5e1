export * from './free-port';
export * from './redis-server.process';
export * from './test-redis';
export * from './test-redis-cluster';
export * from './sonic-conversation';
export * from './planned-call';
