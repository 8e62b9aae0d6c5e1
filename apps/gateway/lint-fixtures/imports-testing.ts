// Lint fixture: gateway production code importing the test kit. module-boundaries.int.spec.ts expects lint to fail.
import { freePort } from '@nova-cost/testing';
import { startLocalBedrock } from '@nova-cost/bedrock-local';

export const kit = { freePort, startLocalBedrock };
export * from '@nova-cost/testing/src/free-port';
