import { NovaCostError } from '@nova-cost/domain';
import type { LocalBatchOptions } from './batch/local-batch.options';
import type { LocalS3Options } from './batch/local-batch';
import type { LocalBedrockPromptCaching } from './prompt-caching';
import type { LocalBedrockServiceTiers } from './service-tiers';

export interface LocalBedrockLatency {
  /** Added to every model call. @default 0 */
  fixedMs?: number;
  /** Added per output token of the answer. @default 0 */
  perOutputTokenMs?: number;
}

/** Which fault the first `failFirst` model calls get. */
export type LocalBedrockFault = 'throttle' | 'server-error' | 'drop' | 'slow';

/** An error answer of your choosing, e.g. `{ status: 429, type: 'ModelNotReadyException' }`: any error Bedrock can give. */
export interface LocalBedrockErrorAnswer {
  /** HTTP status, 400 to 599. */
  status: number;
  /** The `x-amzn-errortype`, the name the SDK turns into an exception class. */
  type: string;
  /** @default a message naming the type */
  message?: string;
  /** Other members of the error body, e.g. ModelErrorException's `{ originalStatusCode, resourceName }`. @default {} */
  members?: Record<string, string | number>;
}

export interface LocalBedrockFaults {
  /** Share 0..1 of model calls answered ThrottlingException 429. @default 0 */
  throttleRate?: number;
  /** Share 0..1 answered 5xx (InternalServerException 500 / ServiceUnavailableException 503). @default 0 */
  serverErrorRate?: number;
  /** Share 0..1 delayed by `slowMs` extra. @default 0 */
  slowRate?: number;
  /** Extra delay of a slow call. @default 1000 */
  slowMs?: number;
  /** Share 0..1 whose socket is destroyed without an answer. @default 0 */
  dropRate?: number;
  /**
   * The next N model calls (counted from this configure/reset/start) get the fault `failFirstWith`,
   * then the rates apply. Deterministic, for "fails twice then succeeds" tests. @default 0
   */
  failFirst?: number;
  /** The fault of the `failFirst` calls, or an error answer; setting `failFirst` alone sets it back to 'throttle'. @default 'throttle' */
  failFirstWith?: LocalBedrockFault | LocalBedrockErrorAnswer;
  /**
   * A Bedrock-like quota per base model: calls beyond `requestsPerWindow` admitted within any sliding
   * `windowMs` are answered ThrottlingException 429. `null` removes it. @default null (no quota)
   */
  quota?: LocalBedrockQuota | null;
  /**
   * A fault in the middle of streaming answers (ConverseStream, InvokeModelWithResponseStream), after some events
   * were sent. Faults above that come before the answer apply to streams too, as ordinary error answers. `null`
   * removes it. @default null (streams complete)
   */
  midStream?: LocalBedrockStreamFault | null;
  /**
   * The model ids, as addressed (`global.anthropic…` and `anthropic…` are apart), whose calls the faults above get
   * (rates, `failFirst`, `midStream`; not the quota): the others are answered as if there were none, e.g. to throttle
   * one inference profile and not its fallback. `null`: every model call. @default null
   */
  models?: readonly string[] | null;
}

/** The exception events of Bedrock's stream unions (`modelTimeoutException`: InvokeModelWithResponseStream's only). */
export type LocalBedrockStreamException =
  | 'internalServerException'
  | 'modelStreamErrorException'
  | 'validationException'
  | 'throttlingException'
  | 'serviceUnavailableException'
  | 'modelTimeoutException';

/** How a stream breaks: an exception event then the end, a cut connection, or a stall (no more events, left open). */
export interface LocalBedrockStreamFault {
  kind: 'exception' | 'cut' | 'stall';
  /** Events sent before the fault. @default 2 */
  afterEvents?: number;
  /** The exception event's type (kind 'exception'). @default 'modelStreamErrorException' */
  exception?: LocalBedrockStreamException;
  /** The exception's message. @default a message naming the exception */
  message?: string;
  /** How many streams, counted from this configure/reset/start, break; `null`: every one. @default null */
  streams?: number | null;
}

export interface LocalBedrockQuota {
  requestsPerWindow: number;
  /** @default 1000 */
  windowMs?: number;
}

export interface LocalBedrockOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  latency?: LocalBedrockLatency;
  faults?: LocalBedrockFaults;
  /** Seed for the fault dice, so fault tests are reproducible. @default 1 */
  seed?: number;
  /** Start a local S3 (path-style, in memory) on a port of its own, for batch inference. @default none */
  s3?: LocalS3Options;
  /** Batch inference jobs: duration, record limits, output order, clock and faults. @default LocalBatchOptions defaults */
  batch?: LocalBatchOptions;
  /** Which service tiers each model serves (the rest are refused as Bedrock refuses them). @default from the price table */
  serviceTiers?: LocalBedrockServiceTiers;
  /** Cache points to refuse as Bedrock refuses a placement a model does not allow. @default none refused */
  promptCaching?: LocalBedrockPromptCaching;
  /** The clock (ms since the epoch) prompt-cache TTLs run on: pass a simulated one to step time. @default Date.now */
  clock?: () => number;
}

export interface ResolvedLatency {
  readonly fixedMs: number;
  readonly perOutputTokenMs: number;
}

export interface ResolvedFaults {
  readonly throttleRate: number;
  readonly serverErrorRate: number;
  readonly slowRate: number;
  readonly slowMs: number;
  readonly dropRate: number;
  readonly failFirst: number;
  readonly failFirstWith: LocalBedrockFault | LocalBedrockErrorAnswer;
  readonly quota: { readonly requestsPerWindow: number; readonly windowMs: number } | null;
  readonly midStream: ResolvedStreamFault | null;
  readonly models: readonly string[] | null;
}

export interface ResolvedStreamFault {
  readonly kind: 'exception' | 'cut' | 'stall';
  readonly afterEvents: number;
  readonly exception: LocalBedrockStreamException;
  readonly message: string;
  readonly streams: number | null;
}

const FAULTS: readonly LocalBedrockFault[] = ['throttle', 'server-error', 'drop', 'slow'];

function bad(message: string): NovaCostError {
  return new NovaCostError('configuration', message);
}

function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${name} must be an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

function rate(source: Record<string, unknown>, key: string, name: string, fallback: number): number {
  const v = source[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw bad(`${name}.${key} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
  return v;
}

function millis(source: Record<string, unknown>, key: string, name: string, fallback: number): number {
  const v = source[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw bad(`${name}.${key} must be a finite number >= 0, got ${JSON.stringify(v)}`);
  return v;
}

export function resolveLatency(
  value: unknown,
  base: ResolvedLatency = { fixedMs: 0, perOutputTokenMs: 0 },
): ResolvedLatency {
  const o = checkObject(value, 'latency');
  return {
    fixedMs: millis(o, 'fixedMs', 'latency', base.fixedMs),
    perOutputTokenMs: millis(o, 'perOutputTokenMs', 'latency', base.perOutputTokenMs),
  };
}

export const NO_FAULTS: ResolvedFaults = {
  throttleRate: 0,
  serverErrorRate: 0,
  slowRate: 0,
  slowMs: 1000,
  dropRate: 0,
  failFirst: 0,
  failFirstWith: 'throttle',
  quota: null,
  midStream: null,
  models: null,
};

/** Validates a faults object; absent fields keep their value from `base`. */
export function resolveFaults(value: unknown, base: ResolvedFaults = NO_FAULTS): ResolvedFaults {
  const o = checkObject(value, 'faults');
  const failFirst = o['failFirst'] ?? base.failFirst;
  if (typeof failFirst !== 'number' || !Number.isInteger(failFirst) || failFirst < 0)
    throw bad(`faults.failFirst must be an integer >= 0, got ${JSON.stringify(failFirst)}`);
  // failFirst and failFirstWith go together: a new failFirst without a fault means throttle again.
  const failFirstWith = o['failFirstWith'] ?? (o['failFirst'] !== undefined ? 'throttle' : base.failFirstWith);
  if (!FAULTS.includes(failFirstWith as LocalBedrockFault) && !isErrorAnswer(failFirstWith)) {
    throw bad(
      `faults.failFirstWith must be one of ${FAULTS.join(', ')} or an error answer {status: 400..599, type, message?, members?}, got ${JSON.stringify(failFirstWith)}`,
    );
  }
  const faults: ResolvedFaults = {
    throttleRate: rate(o, 'throttleRate', 'faults', base.throttleRate),
    serverErrorRate: rate(o, 'serverErrorRate', 'faults', base.serverErrorRate),
    dropRate: rate(o, 'dropRate', 'faults', base.dropRate),
    slowRate: rate(o, 'slowRate', 'faults', base.slowRate),
    slowMs: millis(o, 'slowMs', 'faults', base.slowMs),
    failFirst,
    failFirstWith: failFirstWith as LocalBedrockFault | LocalBedrockErrorAnswer,
    quota: resolveQuota(o['quota'], base.quota),
    midStream: resolveStreamFault(o['midStream'], base.midStream),
    models: resolveFaultModels(o['models'], base.models),
  };
  if (faults.throttleRate + faults.serverErrorRate + faults.dropRate > 1) {
    throw bad(
      `faults.throttleRate + serverErrorRate + dropRate must not exceed 1, got ${faults.throttleRate + faults.serverErrorRate + faults.dropRate}`,
    );
  }
  return faults;
}

function isErrorAnswer(value: unknown): value is LocalBedrockErrorAnswer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const members = o['members'];
  return (
    Number.isInteger(o['status']) &&
    (o['status'] as number) >= 400 &&
    (o['status'] as number) <= 599 &&
    typeof o['type'] === 'string' &&
    /^[A-Za-z][A-Za-z0-9]{0,99}$/.test(o['type']) &&
    (o['message'] === undefined || typeof o['message'] === 'string') &&
    (members === undefined ||
      (typeof members === 'object' &&
        members !== null &&
        !Array.isArray(members) &&
        Object.values(members).every((v) => typeof v === 'string' || typeof v === 'number')))
  );
}

function resolveFaultModels(value: unknown, base: readonly string[] | null): readonly string[] | null {
  if (value === undefined) return base;
  if (value === null) return null;
  if (!Array.isArray(value) || value.some((id) => typeof id !== 'string' || id === ''))
    throw bad(`faults.models must be an array of model ids or null (every model), got ${JSON.stringify(value)}`);
  return [...(value as string[])];
}

function resolveQuota(value: unknown, base: ResolvedFaults['quota']): ResolvedFaults['quota'] {
  if (value === undefined) return base;
  if (value === null) return null;
  const o = checkObject(value, 'faults.quota');
  const requests = o['requestsPerWindow'];
  if (typeof requests !== 'number' || !Number.isInteger(requests) || requests < 1) {
    throw bad(`faults.quota.requestsPerWindow must be an integer >= 1, got ${JSON.stringify(requests)}`);
  }
  const windowMs = o['windowMs'] ?? 1000;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0)
    throw bad(`faults.quota.windowMs must be a finite number > 0, got ${JSON.stringify(windowMs)}`);
  return { requestsPerWindow: requests, windowMs };
}

const STREAM_FAULTS = ['exception', 'cut', 'stall'];
const STREAM_EXCEPTIONS: readonly LocalBedrockStreamException[] = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
  'modelTimeoutException',
];

function resolveStreamFault(value: unknown, base: ResolvedStreamFault | null): ResolvedStreamFault | null {
  if (value === undefined) return base;
  if (value === null) return null;
  const o = checkObject(value, 'faults.midStream');
  const kind = o['kind'];
  if (typeof kind !== 'string' || !STREAM_FAULTS.includes(kind))
    throw bad(`faults.midStream.kind must be one of ${STREAM_FAULTS.join(', ')}, got ${JSON.stringify(kind)}`);
  const afterEvents = o['afterEvents'] ?? 2;
  if (typeof afterEvents !== 'number' || !Number.isInteger(afterEvents) || afterEvents < 0)
    throw bad(`faults.midStream.afterEvents must be an integer >= 0, got ${JSON.stringify(afterEvents)}`);
  const exception = o['exception'] ?? 'modelStreamErrorException';
  if (!STREAM_EXCEPTIONS.includes(exception as LocalBedrockStreamException)) {
    throw bad(
      `faults.midStream.exception must be one of ${STREAM_EXCEPTIONS.join(', ')}, got ${JSON.stringify(exception)}`,
    );
  }
  const message = o['message'] ?? `${exception} (injected by the local endpoint after ${afterEvents} events)`;
  if (typeof message !== 'string')
    throw bad(`faults.midStream.message must be a string, got ${JSON.stringify(message)}`);
  const streams = o['streams'] ?? null;
  if (streams !== null && (typeof streams !== 'number' || !Number.isInteger(streams) || streams < 0)) {
    throw bad(
      `faults.midStream.streams must be an integer >= 0 or null (every stream), got ${JSON.stringify(streams)}`,
    );
  }
  return {
    kind: kind as ResolvedStreamFault['kind'],
    afterEvents,
    exception: exception as LocalBedrockStreamException,
    message,
    streams,
  };
}

export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly latency: ResolvedLatency;
  readonly faults: ResolvedFaults;
  readonly seed: number;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  const o = checkObject(options, 'options');
  const port = o['port'] ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw bad(`port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  const host = o['host'] ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw bad(`host must be a non-empty string, got ${JSON.stringify(host)}`);
  const seed = o['seed'] ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    throw bad(`seed must be an integer, got ${JSON.stringify(seed)}`);
  return { port, host, seed, latency: resolveLatency(o['latency']), faults: resolveFaults(o['faults']) };
}
