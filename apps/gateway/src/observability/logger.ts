import type { Logger } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from '../config/gateway-config';

export type GatewayLogger = Logger;

/** Paths never written to logs: credentials and prompt bodies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'body',
  'req.body',
  'messages',
  'prompt',
  'secret',
  '*.secret',
  'apiKeys',
  '*.apiKeys',
];

/** JSON logs on stdout (or the given stream), with credentials and bodies redacted. */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): GatewayLogger {
  const options = {
    level,
    base: { service: 'nova-cost-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
