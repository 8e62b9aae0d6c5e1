export type { GatewayConfig, TenantConfig, RedisConfig, BedrockConfig, LogLevel } from './config/gateway-config';
export { DEMO_TENANT } from './config/gateway-config';
export { loadConfig, loadConfigFile } from './config/load-config';
export { startGateway } from './gateway';
export type { Gateway, StartGatewayOptions } from './gateway';
export { errorResponse } from './http/error-response';
