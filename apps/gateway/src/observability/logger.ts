import { EventEmitter } from 'node:events';
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

/**
 * The logger of the one line each answered request writes ('model call', 'model stream', 'guardrail call'): made
 * once, next to `logger`, with the same destination, level and base fields but without redaction. Those lines carry
 * only fields the gateway sets itself (ids, model, cache outcome, money, time), never a header or a body, and
 * redaction is the costliest step of a line (its redactor re-reads every path on every line): on a cache hit it
 * made a fifth of the gateway's allocations. Anything else, errors included, goes through `logger`.
 */
export function callLineLogger(logger: GatewayLogger): CallLineLogger {
  return logger.child({}, { redact: [] });
}

/**
 * A call's line: scalar fields only, so a header, a body or any object the redactor would have had to look into
 * cannot be handed to the unredacted logger (the compiler refuses it).
 */
export type CallLine = Readonly<Record<string, string | number | boolean | undefined>>;

/** The unredacted logger of call lines: info only, scalar fields only. */
export interface CallLineLogger {
  info(line: CallLine, message: 'model call' | 'model stream' | 'guardrail call'): void;
  debug(line: CallLine, message: string): void;
}

/** How long an exit waits for its last log lines to be written. */
export const LOG_FLUSH_BOUND_MS = 2000;

/**
 * Resolves once the log destination has written what it holds ('drain'), or failed ('error': a closed pipe, after
 * which pino stops writing to it), or `boundMs` passed (a reader that does not read), whichever comes first. Call it
 * right after logging a line, before process.exit: exiting with a line still queued for a closed pipe hangs, since
 * the destination's exit hook (sonic-boom 4's flushSync) retries a failed write for ever. Never rejects.
 */
export function logsWritten(logger: GatewayLogger, boundMs: number): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (!(stream instanceof EventEmitter) || !logger.isLevelEnabled('fatal')) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('drain', done);
      stream.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, boundMs);
    stream.once('drain', done);
    stream.once('error', done);
  });
}
