// Lint fixture: the report replays through the domain; it must not reach for an adapter (the gateway composes those).
import { CachingInvoker } from '@nova-cost/caching';

export const forbidden = CachingInvoker;
