import type { AsyncInvocationStatus, AsyncSubmission, JsonObject, Operation } from '@nova-cost/domain';
import { NovaCostError, isJsonObject, rememberedSubmission, resolveModelId } from '@nova-cost/domain';

/** The async-invoke operations of the Bedrock runtime API (paths as the AWS SDK sends them). */
export type AsyncInvokeRoute =
  | { readonly kind: 'start-async-invoke' }
  | { readonly kind: 'list-async-invokes' }
  | { readonly kind: 'get-async-invoke'; readonly id: string }
  /** nova-cost's own: the answer body of a completed invocation. */
  | { readonly kind: 'get-async-invoke-output'; readonly id: string };

/** Tags a caller may set on StartAsyncInvoke (the SDK's `tags`) to steer nova-cost. */
export const DEADLINE_TAG = 'nova-cost:deadline';
export const FORMAT_TAG = 'nova-cost:format';

function invalid(message: string, field: string): NovaCostError {
  return new NovaCostError('validation', message, { details: { field } });
}

/** The invocation id of an ARN (`arn:aws:bedrock:<region>:<account>:async-invoke/<id>`) or of a bare id. */
function invocationId(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw invalid('invocationArn in the path is not valid percent-encoding', 'invocationArn');
  }
  const m = /^(?:arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:async-invoke\/)?([a-z0-9]{1,64})$/.exec(decoded);
  if (!m)
    throw invalid(
      `invocationArn must be an async-invoke ARN, got ${JSON.stringify(decoded.slice(0, 120))}`,
      'invocationArn',
    );
  return m[1]!;
}

/** The async-invoke operation of a request, or undefined for other paths. */
export function matchAsyncInvokeRoute(method: string, rawPath: string): AsyncInvokeRoute | undefined {
  if (rawPath === '/async-invoke') {
    if (method === 'POST') return { kind: 'start-async-invoke' };
    if (method === 'GET') return { kind: 'list-async-invokes' };
    return undefined;
  }
  const m = /^\/async-invoke\/([^/]+)(\/output)?$/.exec(rawPath);
  if (!m || method !== 'GET') return undefined;
  const id = invocationId(m[1]!);
  return m[2] ? { kind: 'get-async-invoke-output', id } : { kind: 'get-async-invoke', id };
}

/**
 * Whether a model input is a Converse body or the model's own InvokeModel body: the `nova-cost:format` tag when the
 * caller sets it, else its shape (Converse has `messages` and no model-specific field such as `schemaVersion`,
 * `anthropic_version`, snake_case inference settings, `prompt` or an embedding input).
 */
function operationOf(input: JsonObject, tagged: string | undefined): Operation {
  if (tagged !== undefined) {
    if (tagged !== 'converse' && tagged !== 'invoke')
      throw invalid(`tag ${FORMAT_TAG} must be converse or invoke, got ${JSON.stringify(tagged.slice(0, 40))}`, 'tags');
    return tagged;
  }
  if (!Array.isArray(input['messages'])) return 'invoke';
  const native = ['schemaVersion', 'anthropic_version', 'max_tokens', 'prompt'].some((k) => k in input);
  const config = isJsonObject(input['inferenceConfig']) ? Object.keys(input['inferenceConfig']) : [];
  return native || config.some((k) => k.includes('_')) ? 'invoke' : 'converse';
}

/** StartAsyncInvoke's body (parsed: see RequestBodyParser) as a submission, or a validation error naming the field. */
export function parseStartAsyncInvoke(tenantId: string, body: JsonObject): AsyncSubmission {
  const modelId = body['modelId'];
  if (typeof modelId !== 'string' || modelId === '') throw invalid('modelId is required', 'modelId');
  resolveModelId(modelId);
  const input = body['modelInput'];
  if (!isJsonObject(input))
    throw invalid(
      'modelInput must be a JSON object: a Converse body, the model’s InvokeModel body, or an embedding input',
      'modelInput',
    );
  const tags = tagsOf(body['tags']);
  const token = body['clientRequestToken'];
  if (token !== undefined && typeof token !== 'string')
    throw invalid('clientRequestToken must be a string', 'clientRequestToken');
  const output = body['outputDataConfig'];
  const s3 = isJsonObject(output) ? output['s3OutputDataConfig'] : undefined;
  const uri = isJsonObject(s3) ? s3['s3Uri'] : undefined;
  if (
    output !== undefined &&
    (typeof uri !== 'string' || !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(uri))
  ) {
    throw invalid('outputDataConfig.s3OutputDataConfig.s3Uri must be s3://bucket[/prefix]', 'outputDataConfig');
  }
  const deadlineText = tags.get(DEADLINE_TAG);
  const deadline = deadlineText === undefined ? undefined : new Date(deadlineText);
  if (deadline && Number.isNaN(deadline.getTime()))
    throw invalid(
      `tag ${DEADLINE_TAG} must be an ISO-8601 time, got ${JSON.stringify(deadlineText!.slice(0, 40))}`,
      'tags',
    );
  return {
    tenantId,
    modelId,
    // Found on the body thread for a large body (the same reading of the same input): its messages are not read here.
    operation: rememberedSubmission(input)?.operation ?? operationOf(input, tags.get(FORMAT_TAG)),
    body: input,
    ...(typeof token === 'string' ? { clientRequestToken: token } : {}),
    ...(typeof uri === 'string' ? { outputS3Uri: uri } : {}),
    ...(deadline ? { deadline } : {}),
  };
}

function tagsOf(value: unknown): Map<string, string> {
  const tags = new Map<string, string>();
  if (value === undefined) return tags;
  if (!Array.isArray(value)) throw invalid('tags must be an array of {"key", "value"}', 'tags');
  for (const t of value) {
    if (!isJsonObject(t) || typeof t['key'] !== 'string' || typeof t['value'] !== 'string')
      throw invalid('tags must be an array of {"key", "value"}', 'tags');
    tags.set(t['key'], t['value']);
  }
  return tags;
}

const STATUSES: readonly AsyncInvocationStatus[] = ['InProgress', 'Completed', 'Failed'];

/** ListAsyncInvokes' query, validated. */
export function parseListQuery(url: URL): {
  statusEquals?: AsyncInvocationStatus;
  submittedAfter?: Date;
  submittedBefore?: Date;
  sortOrder?: 'Ascending' | 'Descending';
  maxResults?: number;
  nextToken?: string;
} {
  const q = url.searchParams;
  const date = (name: string): Date | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw invalid(`${name} must be an ISO-8601 time`, name);
    return d;
  };
  const status = q.get('statusEquals');
  if (status !== null && !STATUSES.includes(status as AsyncInvocationStatus))
    throw invalid(`statusEquals must be one of ${STATUSES.join(', ')}`, 'statusEquals');
  const order = q.get('sortOrder');
  if (order !== null && order !== 'Ascending' && order !== 'Descending')
    throw invalid('sortOrder must be Ascending or Descending', 'sortOrder');
  const sortBy = q.get('sortBy');
  if (sortBy !== null && sortBy !== 'SubmissionTime') throw invalid('sortBy must be SubmissionTime', 'sortBy');
  const max = q.get('maxResults');
  const after = date('submitTimeAfter');
  const before = date('submitTimeBefore');
  return {
    ...(status !== null ? { statusEquals: status as AsyncInvocationStatus } : {}),
    ...(after ? { submittedAfter: after } : {}),
    ...(before ? { submittedBefore: before } : {}),
    ...(order !== null ? { sortOrder: order } : {}),
    ...(max !== null ? { maxResults: Number(max) } : {}),
    ...(q.get('nextToken') !== null ? { nextToken: q.get('nextToken')! } : {}),
  };
}
