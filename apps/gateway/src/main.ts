// Entry point: `npm start` at the repo root, or `node --import tsx apps/gateway/src/main.ts` in the image.
import { NovaCostError } from '@nova-cost/domain';
import { loadConfig } from './config/load-config';
import { startGateway } from './gateway';
import { LOG_FLUSH_BOUND_MS, createLogger, logsWritten } from './observability/logger';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  const message = NovaCostError.is(err) ? err.message : String(err);
  process.stderr.write(`nova-cost gateway: invalid configuration: ${message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);

/**
 * Exits once the last line logged has reached stdout, or stdout turned out closed (`npm start | head`), or
 * LOG_FLUSH_BOUND_MS passed. Exiting with a line still queued for a closed pipe hangs: the logger's exit hook retries
 * the write for ever.
 */
async function exitAfterLogs(code: number): Promise<never> {
  await logsWritten(logger, LOG_FLUSH_BOUND_MS);
  process.exit(code);
}
// Ours is the first line a newcomer sees; notices of the AWS SDK (its Node version support) may follow it.
logger.info(
  { demo: config.demo, bedrock: config.bedrock.mode },
  config.demo
    ? 'nova-cost gateway starting in demo mode (local Bedrock endpoint in-process, no AWS account needed)'
    : 'nova-cost gateway starting',
);
// Signal handlers go in before the gateway listens: once it has logged its URL, a SIGTERM must find them (a process
// descheduled between that line and a later process.on would die of the signal's default action, exit 143).
const starting = startGateway(config, { logger }).catch(async (err: Error) => {
  logger.fatal({ err: { message: err.message } }, 'gateway failed to start');
  return exitAfterLogs(1);
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
    // A signal during start-up stops the gateway once it is up.
    starting
      .then((gateway) => gateway.shutdown())
      .then(
        () => exitAfterLogs(0),
        (err: Error) => {
          logger.error({ err: { message: err.message } }, 'shutdown failed');
          return exitAfterLogs(1);
        },
      );
  });
}
