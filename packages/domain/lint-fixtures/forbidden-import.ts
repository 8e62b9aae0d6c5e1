import Redis from 'ioredis';
export const r = Redis;
