// Deliberately wrong: adapters never import each other; the app composes them. Linted only by tools/boundaries.
import { BatchingInvoker } from '@nova-cost/batching';
export const wrong = BatchingInvoker;
