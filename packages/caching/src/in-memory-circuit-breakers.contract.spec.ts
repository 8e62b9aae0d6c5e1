import { InMemoryCircuitBreakers } from '@nova-cost/domain';
import { describe } from 'vitest';
import { CONTRACT_CIRCUIT, circuitBreakersContract } from './testing/circuit-breakers.contract';

describe('InMemoryCircuitBreakers', () => {
  circuitBreakersContract(async () => ({
    breakers: new InMemoryCircuitBreakers(CONTRACT_CIRCUIT),
    target: 'us-east-1|global.anthropic.claude-sonnet-4-5-20250929-v1:0',
  }));
});
