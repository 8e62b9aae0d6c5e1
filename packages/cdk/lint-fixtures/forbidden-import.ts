// Deliberately wrong: the cdk package may import only the domain, aws-cdk-lib and constructs.
// tools/boundaries lints this file and expects the module-boundary error.
import { Redis } from 'ioredis';

export const client = Redis;
