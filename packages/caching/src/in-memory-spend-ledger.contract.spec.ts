import { InMemorySpendLedger } from '@nova-cost/domain';
import { describe } from 'vitest';
import { spendLedgerContract } from './testing/spend-ledger.contract';

// The reference the Redis ledger must answer like.
describe('InMemorySpendLedger (the ledger contract)', () => {
  spendLedgerContract(async () => new InMemorySpendLedger());
});
