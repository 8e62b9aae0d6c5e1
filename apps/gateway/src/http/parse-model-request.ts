import type { InvocationRequest, InvokeParameters, JsonObject, Lane, Operation } from '@nova-cost/domain';
import { NovaCostError, bodyShapeOf, isJsonObject, resolveModelId } from '@nova-cost/domain';
import { nestsDeeperThan } from './json-depth';

/** Deeper than any Bedrock request needs (tool schemas included), shallow enough for recursive code after parsing. */
export const MAX_JSON_DEPTH = 64;

function invalid(message: string, details: Record<string, string> = {}): NovaCostError {
  return new NovaCostError('validation', message, { details });
}

/** The model id and operation of a raw `/model/{modelId}/{operation}` target (the four runtime operations), or undefined for other paths. */
export function matchModelRoute(rawPath: string): { modelId: string; operation: Operation } | undefined {
  const m = /^\/model\/([^/]+)\/(converse|invoke|converse-stream|invoke-with-response-stream|count-tokens)$/.exec(
    rawPath,
  );
  if (!m) return undefined;
  return { modelId: modelIdOf(m[1]!), operation: m[2] as Operation };
}

export const SESSION_ROUTE = 'invoke-with-bidirectional-stream';

/** The model id of `/model/{modelId}/invoke-with-bidirectional-stream` (a speech session), or undefined for any other path. */
export function matchSessionRoute(rawPath: string): string | undefined {
  const m = /^\/model\/([^/]+)\/invoke-with-bidirectional-stream$/.exec(rawPath);
  return m ? modelIdOf(m[1]!) : undefined;
}

/** The model id of a `/model/{modelId}/…` path segment, decoded and checked for shape. */
export function modelIdOf(segment: string): string {
  let modelId: string;
  try {
    modelId = decodeURIComponent(segment);
  } catch {
    throw invalid('model id in the path is not valid percent-encoding', { field: 'modelId' });
  }
  // Only the shape is checked ('../', encoded slashes outside an ARN, …): a model the catalog does not know is
  // forwarded, and Bedrock says whether it exists.
  resolveModelId(modelId);
  return modelId;
}

/** A hint header's value, one of `allowed`; undefined when absent. */
export function hint<T extends string>(
  value: string | string[] | undefined,
  header: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw invalid(
      `header ${header} must be one of ${allowed.join(', ')}, got ${JSON.stringify(String(value).slice(0, 40))}`,
      { field: header },
    );
  return value as T;
}

/** What is wrong with the shape of a body for one of the runtime operations: the message and the field it names. */
export interface BodyShapeProblem {
  readonly message: string;
  readonly field: string;
}

function converseProblem(body: JsonObject): BodyShapeProblem | undefined {
  if (!Array.isArray(body['messages']) || body['messages'].length === 0)
    return { message: 'converse body must have a non-empty "messages" array', field: 'messages' };
  for (const [i, m] of body['messages'].entries()) {
    if (
      typeof m !== 'object' ||
      m === null ||
      Array.isArray(m) ||
      typeof m['role'] !== 'string' ||
      !Array.isArray(m['content'])
    ) {
      return { message: `messages[${i}] must be {"role": string, "content": array}`, field: `messages[${i}]` };
    }
  }
  if (
    body['inferenceConfig'] !== undefined &&
    (typeof body['inferenceConfig'] !== 'object' ||
      body['inferenceConfig'] === null ||
      Array.isArray(body['inferenceConfig']))
  ) {
    return { message: 'inferenceConfig must be an object', field: 'inferenceConfig' };
  }
  return undefined;
}

/** InvokeModel's X-Amzn-Bedrock-* request headers, as Bedrock reads them, by InvokeParameters field. */
const INVOKE_HEADERS = {
  trace: 'x-amzn-bedrock-trace',
  guardrailIdentifier: 'x-amzn-bedrock-guardrailidentifier',
  guardrailVersion: 'x-amzn-bedrock-guardrailversion',
  performanceConfigLatency: 'x-amzn-bedrock-performanceconfig-latency',
  serviceTier: 'x-amzn-bedrock-service-tier',
} as const;
const REQUEST_METADATA_HEADER = 'x-amzn-bedrock-request-metadata';

/**
 * The request metadata header: a JSON object of strings, which the AWS SDK sends base64-encoded (a JSON media-type
 * header); plain JSON is taken too.
 */
function requestMetadata(value: string): Record<string, string> {
  const text = value.trim().startsWith('{') ? value : Buffer.from(value, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw invalid(
      `header ${REQUEST_METADATA_HEADER} must be a JSON object of strings (base64-encoded, as the AWS SDK sends it)`,
      { field: REQUEST_METADATA_HEADER },
    );
  }
  return parsed as Record<string, string>;
}

/** The InvokeModel parameters sent as headers, or undefined when there are none. */
function invokeParameters(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): InvokeParameters | undefined {
  const out: Record<string, unknown> = {};
  for (const [field, header] of Object.entries(INVOKE_HEADERS)) {
    const value = headers[header];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^[\x21-\x7e]{1,2048}$/.test(value))
      throw invalid(`header ${header} must be one printable value of at most 2048 characters`, { field: header });
    out[field] = value;
  }
  const metadata = headers[REQUEST_METADATA_HEADER];
  if (typeof metadata === 'string' && metadata !== '') out['requestMetadata'] = requestMetadata(metadata);
  return Object.keys(out).length > 0 ? (out as InvokeParameters) : undefined;
}

function countTokensProblem(body: JsonObject): BodyShapeProblem | undefined {
  const input = body['input'];
  const one = typeof input === 'object' && input !== null && !Array.isArray(input) ? Object.keys(input) : [];
  if (one.length !== 1 || (one[0] !== 'converse' && one[0] !== 'invokeModel')) {
    return {
      message:
        'count-tokens body must be {"input": {"converse": {...}}} or {"input": {"invokeModel": {"body": <base64>}}}',
      field: 'input',
    };
  }
  return undefined;
}

/**
 * What is wrong with the shape of `body` for `operation`, or undefined. Checked where the body is parsed (on the
 * body thread for a large one, see RequestBodyParser), not by parseModelRequest, which then reads no more of it than
 * the fields it plans with.
 */
export function modelBodyProblem(operation: Operation, body: JsonObject): BodyShapeProblem | undefined {
  if (operation === 'count-tokens') return countTokensProblem(body);
  return bodyShapeOf(operation) === 'converse' ? converseProblem(body) : undefined;
}

/** The validation error of a shape problem. */
export function shapeError(problem: BodyShapeProblem): NovaCostError {
  return invalid(problem.message, { field: problem.field });
}

/** Why a request body is not one the gateway takes. */
export type BodyProblem = 'too-deep' | 'not-json' | 'not-an-object';

/** The validation error of a body problem. */
export function bodyProblem(problem: BodyProblem): NovaCostError {
  const message = {
    'too-deep': `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    'not-json': 'request body is not valid JSON',
    'not-an-object': 'request body must be a JSON object',
  }[problem];
  return invalid(message, { field: 'body' });
}

/** A request body as a JSON object, or a validation error saying why it is not one. */
export function parseJsonBody(raw: Buffer): JsonObject {
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) throw bodyProblem('too-deep');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw bodyProblem('not-json');
  }
  if (!isJsonObject(body)) throw bodyProblem('not-an-object');
  return body;
}

/**
 * An InvocationRequest from the HTTP parts, or a validation error naming what is wrong with the headers. The body is
 * parsed and its shape checked for the operation by RequestBodyParser.
 */
export function parseModelRequest(
  tenantId: string,
  route: { modelId: string; operation: Operation },
  body: JsonObject,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): InvocationRequest {
  const cache = hint(headers['x-nova-cost-cache-hint'], 'x-nova-cost-cache-hint', ['opt-in', 'opt-out'] as const);
  const lane = hint<Lane>(headers['x-nova-cost-lane'], 'x-nova-cost-lane', ['interactive', 'deferrable']);
  const hints = { ...(cache ? { cache } : {}), ...(lane ? { lane } : {}) };
  const parameters =
    bodyShapeOf(route.operation) === 'invoke' && route.operation !== 'count-tokens'
      ? invokeParameters(headers)
      : undefined;
  return {
    tenantId,
    modelId: route.modelId,
    operation: route.operation,
    body,
    ...(parameters ? { parameters } : {}),
    ...(cache || lane ? { hints } : {}),
  };
}
