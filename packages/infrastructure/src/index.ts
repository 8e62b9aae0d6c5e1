export { BedrockModelInvoker } from './bedrock/bedrock-model-invoker';
export type {
  BedrockClientInstance,
  BedrockClientSettings,
  BedrockCredentials,
  BedrockModelInvokerOptions,
} from './bedrock/bedrock-model-invoker.options';
export { mapBedrockError } from './bedrock/bedrock-error.mapper';
export type { BedrockCallContext } from './bedrock/bedrock-error.mapper';
export { BedrockBidirectionalStreams } from './bedrock/bedrock-bidirectional-streams';
export type { BedrockBidirectionalStreamsOptions } from './bedrock/bedrock-bidirectional-streams';
export { FallbackInvoker, fallsBack } from './fallback/fallback-invoker';
export type { FallbackEvent, FallbackInvokerOptions } from './fallback/fallback-invoker';
