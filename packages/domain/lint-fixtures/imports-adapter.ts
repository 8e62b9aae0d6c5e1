// Deliberately wrong: the domain imports no other project. Linted only by tools/boundaries.
import { CachingInvoker } from '@nova-cost/caching';
export const wrong = CachingInvoker;
