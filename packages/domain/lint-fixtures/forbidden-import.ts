// Deliberately wrong: the domain imports no third-party runtime package. Linted only by tools/boundaries.
import Redis from 'ioredis';
export const wrong = Redis;
