// Lint fixture: hashing is pure logic; module-boundaries.int.spec.ts expects lint to pass here.
import { createHash } from 'node:crypto';

export const digest = (text: string): string => createHash('sha256').update(text).digest('hex');
