import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApplyGuardrail,
  GuardrailRequest,
  InvocationRequest,
  InvokeModel,
  SpendDimension,
  SpendGroup,
  SpendLedger,
  StreamModel,
  StreamOperation,
} from '@nova-cost/domain';
import { NovaCostError, bodyTextOf, isBilled, isStreamOperation, resolveModelId } from '@nova-cost/domain';
import type { GatewayMetrics } from '../observability/gateway-metrics';
import type { GatewayLogger } from '../observability/logger';
import type { CallLineLogger } from '../observability/logger';
import { callLineLogger } from '../observability/logger';
import { DualProtocolListener, stopReadingAfterAnswer } from '@nova-cost/http-listener';
import type { BodyBudget } from './read-body';
import type { AsyncInvokeHandler } from './async-invoke.handler';
import { matchAsyncInvokeRoute } from './async-invoke.routes';
import { errorResponse } from './error-response';
import { matchGuardrailRoute, parseGuardrailRequest } from './parse-guardrail-request';
import { SESSION_ROUTE, matchModelRoute, matchSessionRoute, parseModelRequest } from './parse-model-request';
import type { RequestBodyParser } from './request-body-parser';
import { readBody } from './read-body';
import { exceptionEventOf, writeStream } from './stream-answer';
import { exceptionFrame } from '@nova-cost/event-stream';
import type { SpeechSessionHandler } from './speech-session.handler';
import type { TenantAuthenticator } from './tenant-authenticator';

export interface GatewayServerDeps {
  readonly invokeModel: InvokeModel;
  /** ConverseStream and InvokeModelWithResponseStream. */
  readonly streamModel: StreamModel;
  /** ApplyGuardrail. */
  readonly applyGuardrail: ApplyGuardrail;
  readonly ledger: SpendLedger;
  readonly auth: TenantAuthenticator;
  readonly metrics: GatewayMetrics;
  readonly logger: GatewayLogger;
  readonly bodyLimitBytes: number;
  /** Bytes of request bodies held at once across all connections. */
  readonly bodyBudget: BodyBudget;
  /** StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes. */
  readonly asyncInvoke: AsyncInvokeHandler;
  /** InvokeModelWithBidirectionalStream (Nova Sonic sessions). */
  readonly sessions: SpeechSessionHandler;
  /** Parses request bodies (a large one checked and walked off the event loop). */
  readonly bodies: RequestBodyParser;
}

/** The header naming each request's id, as Bedrock's answers carry it (the AWS SDK reads it into $metadata). */
const REQUEST_ID = 'x-amzn-requestid';

const DIMENSIONS: readonly SpendDimension[] = ['model', 'day', 'category', 'billing', 'strategy'];

/** The x-nova-cost-cache of an answer from `source` to a request that was (or was not) cacheable. */
const usd = (n: number, unpriced: boolean): string => (unpriced ? 'unpriced' : n.toFixed(8));

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  replacer?: (key: string, value: unknown) => unknown,
): void {
  sendJsonText(res, status, JSON.stringify(body, replacer), headers);
}

/** JSON text already serialised (a stored answer's body): head and body leave in one write. */
function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Sums of float dollars drift (1.524e-5 becomes 0.000015239999999999998): answer with 12 decimals, far below a cent. */
const usdDecimals = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e12) / 1e12 : value;

/** The HTTP edge: Bedrock runtime paths, /costs, health, readiness and metrics over node:http. */
export class GatewayServer {
  private readonly listener: DualProtocolListener;
  private draining = false;
  private active = 0;
  /** Accepted model and /costs requests not yet answered, with their request ids. */
  private readonly unanswered = new Map<ServerResponse, string>();
  private idleWaiters: (() => void)[] = [];
  /** Accepted requests whose body is still arriving (with their request ids): not yet anything the drain must finish. */
  private readonly receiving = new Map<ServerResponse, string>();
  /** Streams being written: each stops with an exception event when told (the drain deadline). */
  private readonly streams = new Set<(error: NovaCostError) => void>();
  /** Writes each answered request's line: fields the gateway sets, so unredacted (see callLineLogger). */
  private readonly callLog: CallLineLogger;

  constructor(private readonly deps: GatewayServerDeps) {
    this.callLog = callLineLogger(deps.logger);
    // Longer than the deployed ALB's 120 s idle timeout (apps/infra), so it never reuses a connection we closed.
    this.listener = new DualProtocolListener((req, res) => void this.handle(req, res), { keepAliveTimeoutMs: 125_000 });
  }

  /** Listens on HTTP/1.1 and cleartext HTTP/2; resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return this.listener.listen(port, host);
  }

  /** Closes what is left after the drain: politely for `graceMs`, then by force. */
  closeAll(graceMs = 2_000): Promise<void> {
    return this.listener.closeAll(graceMs);
  }

  /** Refuse new model requests from now on (503; readyz 503), and resolve once every accepted one is answered. */
  stopAccepting(): Promise<void> {
    this.draining = true;
    this.listener.stopAccepting();
    // A body still arriving has reached nothing the drain finishes: answer it now rather than wait for a slow
    // client until the deadline; its connection closes and the rest of the body is not read.
    const refusal = new NovaCostError(
      'shutting-down',
      'the gateway is shutting down; the request body had not fully arrived',
    );
    for (const [res, requestId] of [...this.receiving]) {
      stopReadingAfterAnswer(res.req, res);
      this.fail(res, refusal, 'draining', requestId);
    }
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Answers every accepted request that has no answer yet with `error`: at the drain deadline, so that what is
   * left (a call that cannot finish, a client still sending its body) hears why before its connection is cut.
   */
  answerUnanswered(error: NovaCostError): number {
    let answered = 0;
    // A stream under way has no whole answer yet: it ends now with an exception event, never a silent cut.
    for (const stop of [...this.streams]) {
      stop(error);
      answered += 1;
    }
    for (const [res, requestId] of this.unanswered) {
      if (res.headersSent || res.writableEnded) continue;
      if (res.req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      this.fail(res, error, 'draining', requestId);
      answered += 1;
    }
    return answered;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    // Set where each route answers: a unary model call's head goes out whole in one writeHead (sendJsonText), as a
    // header set before writeHead makes node:http take each of that call's headers one by one.
    const stamp = (): void => void res.setHeader(REQUEST_ID, requestId);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && (rawPath === '/healthz' || rawPath === '/health'))
      return sendJson(res, 200, { status: 'ok' }, { [REQUEST_ID]: requestId });
    if (req.method === 'GET' && rawPath === '/readyz')
      return sendJson(
        res,
        this.draining ? 503 : 200,
        { status: this.draining ? 'draining' : 'ready' },
        { [REQUEST_ID]: requestId },
      );
    if (req.method === 'GET' && rawPath === '/metrics') {
      const text = await this.deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType, [REQUEST_ID]: requestId });
      return void res.end(text);
    }
    if (this.draining) {
      if (req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      return this.fail(
        res,
        new NovaCostError('shutting-down', 'the gateway is shutting down and accepts no new requests'),
        'draining',
        requestId,
      );
    }
    this.active += 1;
    this.unanswered.set(res, requestId);
    // Counted until the answer has left (or the client left), not merely until end() was called.
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      this.active -= 1;
      this.unanswered.delete(res);
      if (this.active === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    // Aborted when the client leaves before its answer; made only for a call that reads it (a hit never does).
    let abort: AbortController | undefined;
    let gone = false;
    let release: (() => void) | undefined;
    const controller = (): AbortController => {
      if (!abort) {
        abort = new AbortController();
        if (gone) abort.abort();
      }
      return abort;
    };
    res.once('finish', done);
    res.once('close', () => {
      done();
      release?.();
      if (res.writableEnded) return;
      gone = true;
      abort?.abort();
    });
    const started = performance.now();
    let route = 'unknown';
    try {
      if (req.method === 'GET' && rawPath === '/costs') {
        route = 'costs';
        stamp();
        await this.costs(req, res);
        return;
      }
      const sessionModel = req.method === 'POST' ? matchSessionRoute(rawPath) : undefined;
      if (sessionModel !== undefined) {
        route = SESSION_ROUTE;
        stamp();
        return await this.deps.sessions.serve(req, res, sessionModel, this.deps.logger.child({ requestId }));
      }
      const model = req.method === 'POST' ? matchModelRoute(rawPath) : undefined;
      const guardrail = !model && req.method === 'POST' ? matchGuardrailRoute(rawPath) : undefined;
      const asyncRoute = model || guardrail ? undefined : matchAsyncInvokeRoute(req.method ?? '', rawPath);
      if (!model && !guardrail && !asyncRoute) {
        route = 'not-found';
        throw new NovaCostError(
          'not-found',
          `no route for ${req.method} ${rawPath.slice(0, 100)}; use POST /model/{modelId}/converse, /invoke, /converse-stream, /invoke-with-response-stream, /invoke-with-bidirectional-stream or /count-tokens, POST /guardrail/{id}/version/{version}/apply, POST /async-invoke, GET /async-invoke[/{invocationArn}], GET /costs`,
          { details: { reason: 'route' } },
        );
      }
      route = model?.operation ?? (guardrail ? 'apply-guardrail' : asyncRoute!.kind);
      // Credentials are judged before the body, up to bodyLimitBytes, is read: an API key (or none) wholly, SigV4 as
      // far as its headers go (shape, access key, date); its signature covers the body's hash, so that waits.
      const credential = this.deps.auth.tenantOfHeaders(req.headers);
      const reservation = this.deps.bodyBudget.open();
      release = reservation.release;
      this.receiving.set(res, requestId);
      let body: Buffer;
      try {
        body = await readBody(req, this.deps.bodyLimitBytes, reservation);
      } finally {
        this.receiving.delete(res);
      }
      // Answered while it arrived (shutdown): nothing more to do.
      if (res.headersSent) return;
      const tenantId =
        typeof credential === 'string'
          ? credential
          : this.deps.auth.tenantOfSigned(
              { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
              credential,
            );
      if (asyncRoute) {
        stamp();
        const url = new URL(req.url ?? '/', 'http://gateway.invalid');
        const json =
          asyncRoute.kind === 'start-async-invoke'
            ? await this.deps.bodies.parse(body, { kind: 'async-invoke' })
            : undefined;
        const answer = await this.deps.asyncInvoke.handle(asyncRoute, tenantId, json, url);
        this.deps.metrics.request(route, answer.status, 'none');
        return sendJson(res, answer.status, answer.body);
      }
      if (guardrail) {
        stamp();
        const json = await this.deps.bodies.parse(body, { kind: 'guardrail' });
        const request = parseGuardrailRequest(tenantId, guardrail, json, req.headers);
        return await this.guardrail(res, request, controller().signal, requestId, started);
      }
      const parsed = await this.deps.bodies.parse(body, { kind: 'model', ...model! });
      const request = parseModelRequest(tenantId, model!, parsed, req.headers);
      if (isStreamOperation(request.operation)) {
        stamp();
        return await this.stream(res, request, request.operation, controller(), requestId, started);
      }
      const outcome = await this.deps.invokeModel.execute(request, {
        get signal() {
          return controller().signal;
        },
      });
      const { cache } = outcome.result;
      this.deps.metrics.answered(outcome.result.modelId, cache, outcome.costUsd, outcome.savings);
      if (outcome.unpriced)
        this.deps.metrics.unpriced(
          resolveModelId(outcome.result.modelId).baseModelId,
          isBilled(outcome.result) ? outcome.result.usage : undefined,
        );
      this.deps.metrics.request(route, 200, cache);
      this.callLog.info(
        {
          requestId,
          tenantId,
          model: outcome.result.modelId,
          cache,
          costUsd: outcome.unpriced ? 'unpriced' : outcome.costUsd,
          savedUsd: outcome.savedUsd,
          ms: Math.round(performance.now() - started),
        },
        'model call',
      );
      // A stored answer goes out as the text it was stored as: no parse, no second serialisation.
      sendJsonText(res, 200, bodyTextOf(outcome.result) ?? JSON.stringify(outcome.result.body), {
        [REQUEST_ID]: requestId,
        'x-nova-cost-cache': cache,
        'x-nova-cost-model': outcome.result.modelId,
        'x-nova-cost-usd': usd(outcome.costUsd, outcome.unpriced),
        'x-nova-cost-saved-usd': usd(outcome.savedUsd, outcome.unpriced),
      });
    } catch (error) {
      // A refusal before the body was read (credentials, 413, body budget) reads no more of it.
      stopReadingAfterAnswer(req, res);
      this.fail(res, error, route, requestId);
    }
  }

  /**
   * A streaming call: errors before the first event are ordinary error answers (thrown to handle()); after it the
   * events go out as they come. Cost and saving are known once the stream ended: they are sent as HTTP trailers
   * (x-nova-cost-usd, x-nova-cost-saved-usd) when it completed, and always recorded in the ledger, /costs, the metrics
   * and one log line.
   */
  private async stream(
    res: ServerResponse,
    request: InvocationRequest,
    operation: StreamOperation,
    abort: AbortController,
    requestId: string,
    started: number,
  ): Promise<void> {
    const gone = new AbortController();
    res.on('close', () => res.writableEnded || gone.abort());
    const outcome = await this.deps.streamModel.execute(request, { signal: abort.signal });
    const { stream } = outcome;
    const { cache } = stream;
    const stop = new AbortController();
    // At the drain deadline: the exception event goes out now, before connections close, and the call upstream ends.
    const stopper = (error: NovaCostError): void => {
      if (!res.writableEnded) {
        const { type, payload } = exceptionEventOf(error, operation);
        res.end(exceptionFrame(type, payload));
      }
      stop.abort(error);
      abort.abort(error);
    };
    this.streams.add(stopper);
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      ...(operation === 'invoke-with-response-stream' ? { 'x-amzn-bedrock-content-type': 'application/json' } : {}),
      'x-nova-cost-cache': cache,
      'x-nova-cost-model': stream.modelId,
      trailer: 'x-nova-cost-usd, x-nova-cost-saved-usd',
    });
    this.deps.metrics.request(operation, 200, cache);
    let ending: Awaited<ReturnType<typeof writeStream>>;
    try {
      ending = await writeStream(res, stream, operation, { gone: gone.signal, stop: stop.signal }, async () => {
        const s = await outcome.settled;
        return { 'x-nova-cost-usd': usd(s.costUsd, s.unpriced), 'x-nova-cost-saved-usd': usd(s.savedUsd, s.unpriced) };
      });
    } finally {
      this.streams.delete(stopper);
    }
    // Settled once the billed stream ended: for a leader who left first, when the stream its followers still read ends.
    void outcome.settled.then((s) => {
      const base = resolveModelId(stream.modelId).baseModelId;
      this.deps.metrics.answered(stream.modelId, cache, s.costUsd, s.savings);
      this.deps.metrics.streamEnded(operation, s.report.end, ending);
      if (s.unpriced) this.deps.metrics.unpriced(base, isBilled(stream) ? s.report.usage : undefined);
      this.callLog.info(
        {
          requestId,
          tenantId: request.tenantId,
          model: stream.modelId,
          operation,
          cache,
          end: s.report.end,
          client: ending,
          events: s.report.events,
          costUsd: s.unpriced ? 'unpriced' : s.costUsd,
          savedUsd: s.savedUsd,
          ms: Math.round(performance.now() - started),
        },
        'model stream',
      );
    });
  }

  /** ApplyGuardrail: answered as Bedrock answers it, with the cache outcome, cost and saving as headers. */
  private async guardrail(
    res: ServerResponse,
    request: GuardrailRequest,
    signal: AbortSignal,
    requestId: string,
    started: number,
  ): Promise<void> {
    const outcome = await this.deps.applyGuardrail.execute(request, { signal });
    const { cache } = outcome.result;
    this.deps.metrics.answered(outcome.label, cache, outcome.costUsd, outcome.savings);
    if (outcome.unpriced) this.deps.metrics.unpriced('guardrail', undefined);
    this.deps.metrics.request('apply-guardrail', 200, cache);
    this.callLog.info(
      {
        requestId,
        tenantId: request.tenantId,
        guardrail: outcome.label,
        cache,
        action: typeof outcome.result.body['action'] === 'string' ? outcome.result.body['action'] : undefined,
        costUsd: outcome.unpriced ? 'unpriced' : outcome.costUsd,
        savedUsd: outcome.savedUsd,
        ms: Math.round(performance.now() - started),
      },
      'guardrail call',
    );
    sendJson(res, 200, outcome.result.body, {
      'x-nova-cost-cache': cache,
      'x-nova-cost-usd': usd(outcome.costUsd, outcome.unpriced),
      'x-nova-cost-saved-usd': usd(outcome.savedUsd, outcome.unpriced),
    });
  }

  private fail(res: ServerResponse, error: unknown, route: string, requestId: string): void {
    const log = this.deps.logger;
    const wire = errorResponse(error);
    const kind = wire.body.error.kind;
    if (!res.headersSent) res.setHeader(REQUEST_ID, requestId);
    const summary = { requestId, status: wire.status, kind, reason: wire.body.message };
    // A stack only where the gateway itself failed; a refusal while shutting down or an upstream outage is expected.
    if (kind === 'internal' || kind === 'configuration')
      log.error(
        {
          requestId,
          err: error instanceof Error ? { message: error.message, kind, stack: error.stack } : String(error),
        },
        'request failed',
      );
    else if (wire.status >= 500 && kind !== 'shutting-down') log.warn(summary, 'request failed');
    else log.info(summary, 'request refused');
    this.deps.metrics.request(route, wire.status, 'none');
    sendJson(res, wire.status, wire.body, { 'x-amzn-errortype': wire.type, ...wire.headers });
  }

  private async costs(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const tenantId = await this.deps.auth.authenticate({
      method: 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.alloc(0),
    });
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const range: { from?: Date; to?: Date } = {};
    for (const key of ['from', 'to'] as const) {
      const value = url.searchParams.get(key);
      if (value === null) continue;
      const date = new Date(value);
      if (Number.isNaN(date.getTime()))
        throw new NovaCostError(
          'validation',
          `query parameter ${key} must be an ISO date, got ${JSON.stringify(value.slice(0, 40))}`,
          { details: { field: key } },
        );
      range[key] = date;
    }
    const query = { tenantId, ...range };
    const { total } = await this.deps.ledger.totals(query);
    const groups: Record<string, unknown> = {};
    for (const dimension of DIMENSIONS) groups[dimension] = (await this.deps.ledger.totals(query, dimension)).groups;
    // Models without a price, listed apart: their calls and tokens, no cost (what they cost is unknown, not $0).
    const unpriced = (groups['model'] as SpendGroup[])
      .filter((g) => g.unpriced)
      .map((g) => ({ modelId: g.key, ...g.unpriced! }));
    sendJson(
      res,
      200,
      {
        tenantId,
        total,
        byModel: groups['model'],
        byDay: groups['day'],
        byCategory: groups['category'],
        byBilling: groups['billing'],
        byStrategy: groups['strategy'],
        unpriced,
      },
      {},
      usdDecimals,
    );
  }
}
