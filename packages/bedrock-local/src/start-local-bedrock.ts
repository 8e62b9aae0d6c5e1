import type { IncomingMessage, ServerResponse } from 'node:http';
import { NovaCostError } from '@nova-cost/domain';
import { DualProtocolListener } from '@nova-cost/http-listener';
import type { FaultDecision } from './fault-plan';
import { FaultPlan } from './fault-plan';
import {
  delay,
  dropConnection,
  invokeHeaders,
  isGone,
  parseJsonObject,
  readBody,
  sendError,
  sendJson,
} from './http-exchange';
import type { LocalBedrockStats } from './local-bedrock-stats';
import { emptyStats } from './local-bedrock-stats';
import type {
  LocalBedrockFaults,
  LocalBedrockLatency,
  LocalBedrockOptions,
  ResolvedLatency,
} from './local-bedrock.options';
import { resolveFaults, resolveLatency, resolveOptions } from './local-bedrock.options';
import type { ModelSpec } from '@nova-cost/domain';
import { answerCountTokens } from './count-tokens.responder';
import { answerApplyGuardrail } from './guardrail.responder';
import type { ModelAnswer } from './model-answer';
import { answerModelCall, checkStreamable, streamEvents } from './model-dispatch';
import type { ModelRoute } from './model-route';
import { lookUpModel, parseGuardrailRoute, parseModelRoute } from './model-route';
import type { StreamTiming } from './stream-events';
import { writeStream } from './stream-writer';
import { serveBidirectionalStream } from './sonic/bidirectional-stream.handler';
import type { LocalBedrockPromptCaching } from './prompt-caching';
import { PromptCaching } from './prompt-caching';
import { RequestQuota } from './request-quota';
import type { LocalBedrockServiceTiers } from './service-tiers';
import { requestedServiceTier, resolveServiceTiers } from './service-tiers';
import { isObject } from './prompt';
import { WireError, internalError, serviceUnavailable, throttling, validation } from './wire-error';
import type { LocalBatch } from './batch/local-batch';
import { startLocalBatch } from './batch/local-batch';
import { handleControlPlane } from './batch/control-plane.routes';

export interface LocalBedrockChange {
  latency?: LocalBedrockLatency;
  faults?: LocalBedrockFaults;
  /** Which service tiers each model serves; `byModel` entries are merged into the current ones. */
  serviceTiers?: LocalBedrockServiceTiers;
  /** Cache points to refuse; `refuse` replaces the current rules. */
  promptCaching?: LocalBedrockPromptCaching;
}

/** A running local Bedrock runtime endpoint. */
export interface LocalBedrock {
  /** Base URL to pass as the SDK client's `endpoint`, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  /** A snapshot of the call counters. */
  stats(): LocalBedrockStats;
  /** Clears counters and the prompt cache, re-seeds the fault dice and re-arms `failFirst`. */
  reset(): void;
  /** Changes latency, faults and/or service tiers; absent fields keep their current value. Re-arms `failFirst`. */
  configure(change: LocalBedrockChange): void;
  /**
   * Holds every model call from now on, once counted in `stats().calls` and before its fault or answer, until the
   * returned release is called (close() releases too). For specs that need calls to be in flight at a known moment
   * instead of guessing with a latency. Holding while held returns the same release.
   */
  hold(): () => void;
  /**
   * Batch inference: the control-plane operations on this endpoint's port, and (with the `s3` option) the local S3
   * they read and write. Its clock, faults and jobs.
   */
  readonly batch: LocalBatch;
  /** Stops listening (both ports) and cuts open connections. */
  close(): Promise<void>;
}

const NO_FAULT: FaultDecision = { extraMs: 0 };

/** Starts the endpoint. Bad options reject with a NovaCostError of kind 'configuration'. */
export async function startLocalBedrock(options: LocalBedrockOptions = {}): Promise<LocalBedrock> {
  const resolved = resolveOptions(options);
  let latency: ResolvedLatency = resolved.latency;
  let faults = resolved.faults;
  const plan = new FaultPlan(faults, resolved.seed);
  let serviceTiers = resolveServiceTiers(options.serviceTiers);
  const promptCache = new PromptCaching(options.clock ?? Date.now);
  promptCache.configure(options.promptCaching);
  const quota = new RequestQuota();
  let stats = emptyStats();
  const batch = await startLocalBatch(resolved.host, options.s3, options.batch, resolved.seed);

  const configure = (change: unknown): void => {
    if (!isObject(change))
      throw new NovaCostError('configuration', 'configure() takes an object with latency and/or faults');
    const nextLatency = resolveLatency(change['latency'], latency);
    const nextFaults = resolveFaults(change['faults'], faults);
    serviceTiers = resolveServiceTiers(change['serviceTiers'], serviceTiers);
    promptCache.configure(change['promptCaching']);
    latency = nextLatency;
    faults = nextFaults;
    plan.configure(faults);
  };
  const reset = (): void => {
    stats = emptyStats();
    promptCache.clear();
    quota.clear();
    plan.reset();
    batch.reset();
  };
  let gate: { readonly open: Promise<void>; readonly release: () => void } | undefined;
  const hold = (): (() => void) => {
    if (!gate) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = {
        open: opened,
        release: () => {
          gate = undefined;
          open();
        },
      };
    }
    return gate.release;
  };
  const snapshot = (): LocalBedrockStats => ({
    ...stats,
    byModel: { ...stats.byModel },
    embeddedInputs: [...stats.embeddedInputs],
    streams: { ...stats.streams },
    sessions: { ...stats.sessions },
    serviceTiers: { ...stats.serviceTiers },
  });

  /** Whether the faults apply to calls of this model id as addressed (faults.models). */
  const faulty = (modelId: string): boolean => faults.models === null || faults.models.includes(modelId);

  /** Answers the call's injected fault: throws its error answer, or drops the connection and says so. */
  function injectFault(req: IncomingMessage, decision: FaultDecision): boolean {
    const f = decision.fault;
    if (f === undefined) return false;
    stats.faults += 1;
    if (f === 'drop') {
      dropConnection(req);
      return true;
    }
    if (typeof f === 'object')
      throw new WireError(f.status, f.type, f.message ?? `${f.type} (injected by the local endpoint)`, f.members);
    throw f === 'throttle' ? throttling() : f === 'internal-error' ? internalError() : serviceUnavailable();
  }

  async function handleModelCall(req: IncomingMessage, res: ServerResponse, route: ModelRoute): Promise<void> {
    const raw = await readBody(req);
    stats.calls += 1;
    stats.lastCall = {
      modelId: route.modelId,
      operation: route.operation,
      body: safeJson(raw),
      bedrockHeaders: bedrockHeadersOf(req),
    };
    stats.byModel[route.modelId] = (stats.byModel[route.modelId] ?? 0) + 1;
    if (gate) await gate.open;
    const decision = faulty(route.modelId) ? plan.next() : NO_FAULT;
    if (injectFault(req, decision)) return;
    const { spec, baseModelId } = lookUpModel(route.modelId);
    if (!quota.admit(baseModelId, faults.quota)) {
      stats.faults += 1;
      throw throttling();
    }
    const body = parseJsonObject(raw);
    if (route.operation === 'count-tokens') return sendJson(res, 200, answerCountTokens(body, route.modelId, spec));
    const streaming =
      route.operation === 'converse-stream' || route.operation === 'invoke-with-response-stream'
        ? route.operation
        : undefined;
    if (streaming) checkStreamable(streaming, spec);
    const operation = route.operation === 'converse' || route.operation === 'converse-stream' ? 'converse' : 'invoke';
    const tier = requestedServiceTier(operation === 'converse', body, req.headers, baseModelId, serviceTiers);
    const latencyFor = (outputTokens: number): number =>
      Math.round(latency.fixedMs + latency.perOutputTokenMs * outputTokens + decision.extraMs);
    const answered = answerModelCall(
      operation,
      spec,
      body,
      { modelId: route.modelId, baseModelId, latencyMs: latencyFor },
      promptCache,
    );
    // The tier that served the call is echoed: in Converse's body (ConverseStream's metadata), else a header.
    const answer =
      tier !== undefined && operation === 'converse'
        ? { ...answered, body: { ...answered.body, serviceTier: { type: tier } } }
        : answered;
    const tierHeader: Record<string, string> =
      tier !== undefined && operation === 'invoke' ? { 'x-amzn-bedrock-service-tier': tier } : {};
    if (tier !== undefined) stats.serviceTiers[tier] = (stats.serviceTiers[tier] ?? 0) + 1;
    const latencyMs = latencyFor(answer.outputTokens);
    if (streaming)
      return stream(
        req,
        res,
        streaming,
        spec,
        answer,
        { firstByteMs: latencyFor(0), totalMs: latencyMs },
        tierHeader,
        faulty(route.modelId),
      );
    await delay(latencyMs, res);
    if (isGone(res)) return;
    if (answer.embeddedInputs !== undefined) stats.embeddedInputs.push(answer.embeddedInputs);
    sendJson(
      res,
      200,
      answer.body,
      operation === 'invoke' ? { ...invokeHeaders(answer, latencyMs), ...tierHeader } : {},
    );
  }

  async function stream(
    req: IncomingMessage,
    res: ServerResponse,
    operation: 'converse-stream' | 'invoke-with-response-stream',
    spec: ModelSpec,
    answer: ModelAnswer,
    timing: StreamTiming,
    extraHeaders: Record<string, string>,
    faultable: boolean,
  ): Promise<void> {
    const fault = faultable ? plan.nextStreamFault() : undefined;
    stats.streams.started += 1;
    const end = await writeStream(req, res, {
      events: streamEvents(operation, spec, answer, timing),
      firstTokenMs: timing.firstByteMs,
      perOutputTokenMs: latency.perOutputTokenMs,
      ...(fault ? { fault } : {}),
      ...(operation === 'invoke-with-response-stream'
        ? { headers: { 'x-amzn-bedrock-content-type': 'application/json', ...extraHeaders } }
        : {}),
      held: () => gate?.open,
    });
    if (end === 'completed') stats.streams.completed += 1;
    else if (end === 'abandoned') stats.streams.abandoned += 1;
    else stats.faults += 1;
  }

  /** Nova Sonic's bidirectional stream: the body is read as the session goes, never whole. */
  async function handleBidirectional(req: IncomingMessage, res: ServerResponse, route: ModelRoute): Promise<void> {
    stats.calls += 1;
    stats.byModel[route.modelId] = (stats.byModel[route.modelId] ?? 0) + 1;
    if (gate) await gate.open;
    if (injectFault(req, plan.next())) return;
    const { spec } = lookUpModel(route.modelId);
    if (spec.kind !== 'speech')
      throw validation(
        `The model ${route.modelId} does not support InvokeModelWithBidirectionalStream; use a Nova Sonic model.`,
      );
    const fault = plan.nextStreamFault();
    stats.sessions.started += 1;
    const end = await serveBidirectionalStream(req, res, {
      modelId: route.modelId,
      firstEventMs: latency.fixedMs,
      held: () => gate?.open,
      ...(fault ? { fault } : {}),
    });
    if (end === 'completed') stats.sessions.completed += 1;
    else if (end === 'abandoned') stats.sessions.abandoned += 1;
    else stats.faults += 1;
  }

  async function handleGuardrail(
    req: IncomingMessage,
    res: ServerResponse,
    route: { guardrailId: string; version: string },
  ): Promise<void> {
    const raw = await readBody(req);
    stats.calls += 1;
    stats.guardrailCalls += 1;
    if (gate) await gate.open;
    if (injectFault(req, plan.next())) return;
    sendJson(res, 200, answerApplyGuardrail(parseJsonObject(raw), route.version));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://local').pathname;
    if (pathname === '/__stats' && req.method === 'GET') return sendJson(res, 200, snapshot());
    if (pathname === '/__reset' && req.method === 'POST') {
      await readBody(req);
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (pathname === '/__config' && req.method === 'POST') {
      const change = parseJsonObject(await readBody(req));
      try {
        configure(change);
      } catch (error) {
        throw validation(error instanceof Error ? error.message : String(error));
      }
      return sendJson(res, 200, { ok: true });
    }
    if (pathname === '/__batch/advance' && req.method === 'POST') {
      const ms = parseJsonObject(await readBody(req))['ms'];
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
        throw validation('/__batch/advance takes {"ms": number >= 0}');
      batch.advance(ms);
      return sendJson(res, 200, { now: new Date(batch.now()).toISOString() });
    }
    if (await handleControlPlane(batch.jobs, req, res, new URL(req.url ?? '/', 'http://local'))) return;
    const route = parseModelRoute(pathname);
    if (route && req.method === 'POST')
      return route.operation === 'invoke-with-bidirectional-stream'
        ? handleBidirectional(req, res, route)
        : handleModelCall(req, res, route);
    const guardrail = parseGuardrailRoute(pathname);
    if (guardrail && req.method === 'POST') return handleGuardrail(req, res, guardrail);
    req.resume();
    sendJson(
      res,
      404,
      { message: `No operation at ${req.method ?? '?'} ${pathname.slice(0, 200)}` },
      { 'x-amzn-errortype': 'UnknownOperationException' },
    );
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || isGone(res)) return;
      sendError(
        res,
        error instanceof WireError
          ? error
          : new WireError(500, 'InternalServerException', 'The local endpoint failed to answer.'),
      );
    });
  };
  const listener = new DualProtocolListener(onRequest);
  const port = await listener.listen(resolved.port, resolved.host).catch(async (error: unknown) => {
    await batch.close();
    throw cannotListen(error, resolved.host, resolved.port);
  });
  const hostForUrl = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    stats: snapshot,
    reset,
    configure: (change) => configure(change),
    hold,
    batch,
    close: async () => {
      gate?.release();
      await Promise.all([listener.closeAll(0), batch.close()]);
    },
  };
}

function cannotListen(error: unknown, host: string, port: number): NovaCostError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use (EADDRINUSE); pick another port, or 0 for a free one'
      : `${code ?? (error instanceof Error ? error.message : String(error))}`;
  return new NovaCostError(
    'configuration',
    `local Bedrock cannot listen on ${host}:${port} (option port/host): ${why}`,
    {
      cause: error,
      details: { host, port, ...(code ? { code } : {}) },
    },
  );
}

function safeJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return raw.toString('utf8');
  }
}

function bedrockHeadersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amzn-bedrock-') && typeof value === 'string') out[name] = value;
  return out;
}
