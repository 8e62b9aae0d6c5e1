import { InMemoryPrefixHistory } from '@nova-cost/domain';
import { describe } from 'vitest';
import { prefixHistoryContract } from './testing/prefix-history.contract';

describe('InMemoryPrefixHistory', () => {
  prefixHistoryContract(async () => ({ history: new InMemoryPrefixHistory(), tenant: 'acme' }));
});
