export { startLocalBedrock } from './start-local-bedrock';
export type { LocalBedrock, LocalBedrockChange } from './start-local-bedrock';
export type { LocalBedrockFault, LocalBedrockFaults, LocalBedrockLatency, LocalBedrockOptions, LocalBedrockQuota } from './local-bedrock.options';
export type { LocalBedrockStats } from './local-bedrock-stats';
export { seededDice } from './seeded-dice';
