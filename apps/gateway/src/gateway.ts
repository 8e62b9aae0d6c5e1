import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { InvokeModel } from '@nova-cost/domain';
import { NovaCostError, policyRegion } from '@nova-cost/domain';
import type { GatewayConfig } from './config/gateway-config';
import { asyncInvokeHandler, startAsyncInvoke, withLocalS3 } from './composition/async-invoke.start';
import { createGatewayContainer } from './composition/gateway-container';
import { BEFORE_ANSWERING, SHUTDOWN_PHASES, TOKENS } from './composition/tokens';
import { BodyBudget } from './http/read-body';
import { GatewayServer } from './http/gateway-server';
import { RequestBodyParser } from './http/request-body-parser';
import { SpeechSessionHandler } from './http/speech-session.handler';
import { TenantAuthenticator } from './http/tenant-authenticator';
import type { GatewayLogger } from './observability/logger';
import { createLogger } from './observability/logger';

/** A running gateway. */
export interface Gateway {
  /** e.g. http://127.0.0.1:8080 — pass it as the SDK client's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** The in-process local Bedrock endpoint (embedded mode only). */
  readonly localBedrock?: LocalBedrock;
  /**
   * Graceful stop: refuse new requests (readyz 503), drain the batcher, answer every accepted request (at the
   * deadline with 'shutting-down'), close Redis and the local endpoint, all within `drainDeadlineMs` of the call.
   * Calling it again returns the same promise.
   */
  shutdown(): Promise<void>;
}

export interface StartGatewayOptions {
  /** @default a pino logger at config.logLevel on stdout */
  readonly logger?: GatewayLogger;
  /** Interval of the EMF lines (cost and saving summed per model, cache hit ratio, queue depth); 0 writes them only at shutdown. @default 60000 */
  readonly emfIntervalMs?: number;
}

/** Kept back from the batcher's share of the drain deadline for the steps after it: this, or a fifth of a shorter deadline. */
const MAX_TAIL_MS = 5_000;
/** How long connections may take to close politely once every request is answered, before they are cut. */
const CLOSE_GRACE_MS = 2_000;
/** A close that found no time left still gets this long (a Redis QUIT on a live connection takes a round trip). */
const MIN_CLOSE_MS = 100;

/** Whether `work` settled within `ms`; it is left running otherwise. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    const settled = work.then(
      () => true,
      () => true,
    );
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a gateway from a validated configuration (see loadConfig). */
export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const localBedrock =
    config.bedrock.mode === 'embedded'
      ? await startLocalBedrock({ host: '127.0.0.1', ...(config.asyncInvoke?.local ? { s3: {} } : {}) })
      : undefined;
  config = withLocalS3(config, localBedrock);
  // One region for the calls and their prices: the policy's (loadConfig makes it AWS_REGION's when that is set).
  const region = policyRegion(config.policy);
  const endpoint =
    config.bedrock.mode === 'embedded'
      ? { url: localBedrock!.url, region }
      : { ...(config.bedrock.endpoint ? { url: config.bedrock.endpoint } : {}), region };
  const container = createGatewayContainer(config, logger, endpoint);
  const metrics = container.get(TOKENS.metrics);
  const batcher = container.get(TOKENS.batchingInvoker);
  const bodyBudget = new BodyBudget(config.bodyBufferLimitBytes);
  const bodies = new RequestBodyParser({
    offThreadBytes: config.offThreadBodyBytes,
    onOffThread: () => metrics.bodyParsedOffThread(),
    onThreadFailure: (error, inlineFromNow) =>
      logger.warn(
        { err: { message: error.message }, inlineFromNow },
        inlineFromNow
          ? 'the body-analysis thread failed again: large bodies are walked on the event loop from now on'
          : 'the body-analysis thread failed: its bodies are walked on the event loop',
      ),
  });
  const auth = new TenantAuthenticator(config.tenants);
  const sessions = new SpeechSessionHandler({ relay: container.get(TOKENS.sessionRelay), auth, metrics });
  metrics.attach({
    queueDepth: () => batcher.stats().queued,
    bodyBufferBytes: () => bodyBudget.bytes,
    speechSessions: () => sessions.gauges(),
  });
  const server = new GatewayServer({
    invokeModel: container.get<InvokeModel>(TOKENS.invokeModel),
    streamModel: container.get(TOKENS.streamModel),
    applyGuardrail: container.get(TOKENS.applyGuardrail),
    ledger: container.get(TOKENS.ledger),
    auth,
    sessions,
    metrics,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    bodyBudget,
    bodies,
    asyncInvoke: asyncInvokeHandler(container, config, endpoint.region),
  });
  const stopAll = async (): Promise<void> => {
    await bodies.close();
    await Promise.all(container.getAll(TOKENS.lifecycle).map((l) => l.close(0).catch(() => undefined)));
    await localBedrock?.close();
  };
  if (config.bedrock.mode === 'aws') {
    // Credentials are resolved now, so a task without any fails to start (with the reason) instead of every call.
    try {
      await container.get(TOKENS.bedrockInvoker).checkCredentials();
    } catch (err) {
      await stopAll();
      throw err;
    }
  }
  try {
    await startAsyncInvoke(container, config);
  } catch (err) {
    await stopAll();
    throw err;
  }
  let port: number;
  try {
    port = await server.listen(config.port, config.host);
  } catch (err) {
    await stopAll();
    const code = (err as NodeJS.ErrnoException).code;
    throw new NovaCostError(
      'configuration',
      `cannot listen on ${config.host}:${config.port} (PORT/HOST): ${code ?? (err as Error).message}`,
      { cause: err, details: { variable: 'PORT' } },
    );
  }
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const emfMs = options.emfIntervalMs ?? 60_000;
  const emfTimer = emfMs > 0 ? setInterval(() => metrics.flush(), emfMs).unref() : undefined;

  if (config.demo) {
    // The message tells the public demo key (the README points at it); fields never carry credentials, so log
    // pipelines that index fields cannot learn to expect them there.
    logger.info(
      { url, tenant: 'demo', cache: config.redis ? 'redis' : 'in-memory', bedrock: config.bedrock.mode },
      `nova-cost gateway running in demo mode on ${url} (demo tenant: x-api-key demo-key, or SigV4 access key id demo / secret demo-secret)`,
    );
  } else {
    logger.info(
      { url, tenants: config.tenants.length, cache: config.redis?.kind ?? 'in-memory', bedrock: config.bedrock.mode },
      `nova-cost gateway listening on ${url}`,
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      // One deadline from the signal: every step gets what is left of it, so the whole stop fits in
      // drainDeadlineMs (under Fargate's stop timeout) however the time is spent.
      const deadlineMs = config.drainDeadlineMs;
      const deadline = performance.now() + deadlineMs;
      const left = (keep = 0): number => Math.max(0, deadline - keep - performance.now());
      // Kept back from the drain for what follows it: answering, closing connections, Redis and the local endpoint.
      const tailMs = Math.min(MAX_TAIL_MS, Math.floor(deadlineMs / 5));
      logger.info({ drainDeadlineMs: deadlineMs }, 'shutting down: refusing new requests, draining');
      if (emfTimer) clearInterval(emfTimer);
      const answered = server.stopAccepting();
      const lifecycles = container
        .getAll(TOKENS.lifecycle)
        .sort((a, b) => SHUTDOWN_PHASES.indexOf(a.phase) - SHUTDOWN_PHASES.indexOf(b.phase));
      const close = async (l: (typeof lifecycles)[number], budgetMs: number, boundMs: number): Promise<void> => {
        const closing = l
          .close(budgetMs)
          .catch((err: Error) => logger.error({ err: { message: err.message } }, `${l.name} failed to close`));
        if (!(await within(closing, boundMs)))
          logger.warn({ budgetMs }, `${l.name} did not close within the drain deadline; leaving it`);
      };
      for (const l of lifecycles.filter((x) => BEFORE_ANSWERING.has(x.phase))) await close(l, left(tailMs), left());
      // Requests that never reached the batcher (cache hits, lookups, bodies still arriving) finish on their own;
      // wait for them too, then answer what is left with shutting-down before the connections are cut.
      await within(answered, left(tailMs / 2));
      const late = server.answerUnanswered(
        new NovaCostError(
          'shutting-down',
          `the request did not finish within the ${deadlineMs} ms drain deadline (DRAIN_DEADLINE_MS)`,
          { details: { deadlineMs } },
        ),
      );
      if (late > 0)
        logger.warn({ requests: late }, 'answered requests still open at the drain deadline with shutting-down');
      // At least MIN_CLOSE_MS: an answer just written at the deadline (a stream's exception event) is flushed, not cut.
      await server.closeAll(Math.max(MIN_CLOSE_MS, Math.min(CLOSE_GRACE_MS, left(tailMs / 4))));
      await bodies.close();
      for (const l of lifecycles.filter((x) => !BEFORE_ANSWERING.has(x.phase)))
        await close(l, left(), Math.max(left(), MIN_CLOSE_MS));
      if (localBedrock) await within(localBedrock.close(), Math.max(left(), MIN_CLOSE_MS));
      metrics.flush();
      logger.info('shut down');
    })());

  return { url, port, ...(localBedrock ? { localBedrock } : {}), shutdown };
}
