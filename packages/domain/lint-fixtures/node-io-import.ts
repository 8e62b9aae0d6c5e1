// Lint fixture: the domain reaching for the file system. module-boundaries.int.spec.ts expects lint to fail here.
import { readFileSync } from 'node:fs';

export const read = (path: string): string => readFileSync(path, 'utf8');
export { setTimeout as wait } from 'timers/promises';
