// Entry point: `npm start` at the repo root, or `node --import tsx apps/gateway/src/main.ts` in the image.
import { NovaCostError } from '@nova-cost/domain';
import { loadConfig } from './config/load-config';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  const message = NovaCostError.is(err) ? err.message : String(err);
  process.stderr.write(`nova-cost gateway: invalid configuration: ${message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
// Ours is the first line a newcomer sees; notices of the AWS SDK (its Node version support) may follow it.
logger.info(
  { demo: config.demo, bedrock: config.bedrock.mode },
  config.demo
    ? 'nova-cost gateway starting in demo mode (local Bedrock endpoint in-process, no AWS account needed)'
    : 'nova-cost gateway starting',
);
const gateway = await startGateway(config, { logger }).catch((err: Error) => {
  logger.fatal({ err: { message: err.message } }, 'gateway failed to start');
  process.exit(1);
});

// One bad request must never take the process (and every other caller's request) down with it.
process.on('unhandledRejection', (reason) =>
  logger.error({ err: { message: reason instanceof Error ? reason.message : String(reason) } }, 'unhandled rejection'),
);

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'signal received');
    gateway.shutdown().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: { message: err.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
