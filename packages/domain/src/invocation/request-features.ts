import type { JsonObject, JsonValue } from '../json';
import { isJsonObject } from '../json';
import type { Capability, ModelSpec } from '../models/model-catalog';
import { findModel } from '../models/model-catalog';
import { imageSize } from './image-size';
import type { InvocationRequest } from './invocation.types';
import { bodyShapeOf } from './invocation.types';
import { outputCapField, readOutputCap } from './output-cap';
import { rememberedAnalysis } from './body-analysis';
import { jsonTokens, textTokens } from './token-estimate';

/** What the policy needs to know about a request body, whatever its model family. */
export interface RequestFeatures {
  /** undefined when the body does not set it where Bedrock reads it (the model's default then applies, which is not 0). */
  readonly temperature: number | undefined;
  /** The output cap the caller set where Bedrock reads it for this operation and model, if any. */
  readonly maxOutputTokens: number | undefined;
  /**
   * Prompt tokens, leaning high, of every billed part: text (see textTokens), JSON of tool inputs, results and
   * schemas (serialised), images by their size, documents by their bytes. A part whose size cannot be known (an S3
   * object, a video) counts as the model's whole context window, the most any call can bill.
   */
  readonly estimatedInputTokens: number;
  /** Capabilities the request needs from whichever model answers it. */
  readonly needs: ReadonlySet<Capability>;
}

/** Longest context window of any model: the bound when the model is unknown. */
const MAX_CONTEXT_TOKENS = 1_000_000;
/** Role and turn markers around each message. */
const TOKENS_PER_MESSAGE = 4;
/** The system prompt a model adds when tools are offered (about 350 tokens for Claude). */
const TOOL_USE_TOKENS = 400;
/** Claude scales an image down to about 1,600 tokens (1,568 px on the long edge); (w × h) / 750 below that. */
const CLAUDE_PIXELS_PER_TOKEN = 750;
const CLAUDE_MAX_IMAGE_TOKENS = 1_700;
/**
 * Nova scales an image up until a side reaches 896 px, and its published examples run 500 to 700 pixels a token
 * (900 × 450 ≈ 800 tokens, 1.3K × 1.3K ≈ 2,600); larger images are scaled down. The same bound serves an image whose
 * size cannot be read, and any other family.
 */
const NOVA_MIN_PIXELS = 896 * 896;
const NOVA_PIXELS_PER_TOKEN = 500;
const NOVA_MAX_IMAGE_TOKENS = 8_000;
/** Fields that configure a call rather than feed the model. */
const NOT_BILLED = new Set([
  'inferenceConfig',
  'additionalModelRequestFields',
  'additionalModelResponseFieldPaths',
  'guardrailConfig',
  'performanceConfig',
  'requestMetadata',
  'serviceTier',
  'anthropic_version',
  'anthropic_beta',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
]);
/** Fields holding JSON a model reads as text: tool inputs (Converse, Anthropic), tool results, tool schemas. */
const JSON_FIELDS = new Set(['json', 'input', 'inputSchema', 'input_schema']);

export type Family = 'anthropic' | 'other';

/** What bodyTally counts: the body's billed tokens and the capabilities it needs, for one model family. */
export interface BodyTally {
  readonly family: Family;
  readonly tokens: number;
  readonly needs: readonly Capability[];
}

interface Tally {
  tokens: number;
  readonly needs: Set<Capability>;
  readonly family: Family;
}

function get(obj: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let cur = obj;
  for (const key of path) {
    if (!isJsonObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function numberAt(body: JsonObject, ...path: string[]): number | undefined {
  const v = get(body, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Bytes a base64 string decodes to. */
function base64Bytes(b64: string): number {
  let padding = 0;
  while (padding < 2 && b64.charCodeAt(b64.length - 1 - padding) === 0x3d) padding += 1;
  return Math.floor(((b64.length - padding) * 3) / 4);
}

function imageTokens(source: JsonValue | undefined, family: Family): number {
  // Converse and Nova carry the bytes in source.bytes, Anthropic in source.data (type 'base64').
  const data = get(source, 'bytes') ?? (get(source, 'type') === 'base64' ? get(source, 'data') : undefined);
  const size = typeof data === 'string' ? imageSize(data) : undefined;
  if (family === 'anthropic')
    return size
      ? Math.min(Math.ceil((size.width * size.height) / CLAUDE_PIXELS_PER_TOKEN), CLAUDE_MAX_IMAGE_TOKENS)
      : CLAUDE_MAX_IMAGE_TOKENS;
  return size
    ? Math.min(
        Math.ceil(Math.max(size.width * size.height, NOVA_MIN_PIXELS) / NOVA_PIXELS_PER_TOKEN),
        NOVA_MAX_IMAGE_TOKENS,
      )
    : NOVA_MAX_IMAGE_TOKENS;
}

/** A document: its text when given as text, else a token per byte (extracted text can outgrow compressed bytes). */
function documentTokens(document: JsonValue | undefined, acc: Tally): number {
  const source = get(document, 'source');
  const name = get(document, 'name');
  const named = typeof name === 'string' ? textTokens(name) : 0;
  const bytes = get(source, 'bytes') ?? (get(source, 'type') === 'base64' ? get(source, 'data') : undefined);
  if (typeof bytes === 'string') return named + base64Bytes(bytes);
  const text = get(source, 'text') ?? (get(source, 'type') === 'text' ? get(source, 'data') : undefined);
  if (typeof text === 'string') return named + textTokens(text);
  const content = get(source, 'content');
  if (content !== undefined) {
    const inner: Tally = { tokens: 0, needs: acc.needs, family: acc.family };
    walk(content, inner);
    return named + inner.tokens;
  }
  return Number.POSITIVE_INFINITY; // in S3, or a shape we do not know: bounded by the context window
}

/** Adds the billed tokens of `value` to the tally, spotting images, documents and videos of every family's shape. */
function walk(value: JsonValue | undefined, acc: Tally): void {
  if (typeof value === 'string') acc.tokens += textTokens(value);
  else if (typeof value === 'number' || typeof value === 'boolean') acc.tokens += jsonTokens(value);
  else if (Array.isArray(value)) for (const v of value) walk(v, acc);
  else if (isJsonObject(value)) {
    // Anthropic blocks: { type: 'image' | 'document', source }.
    const type = value['type'];
    if (type === 'image' && Object.hasOwn(value, 'source'))
      return part(acc, 'images', imageTokens(value['source'], acc.family));
    if (type === 'document' && Object.hasOwn(value, 'source'))
      return part(acc, 'documents', documentTokens(value, acc));
    // Converse and Nova blocks: { image }, { document }, { video }; the rest is text and JSON.
    for (const [key, v] of Object.entries(value)) {
      if (key === 'image' && isJsonObject(v)) part(acc, 'images', imageTokens(v['source'], acc.family));
      else if (key === 'document' && isJsonObject(v)) part(acc, 'documents', documentTokens(v, acc));
      else if (key === 'video' && isJsonObject(v)) part(acc, 'video', Number.POSITIVE_INFINITY);
      else if (key === 'cachePoint') continue;
      else if (JSON_FIELDS.has(key)) acc.tokens += jsonTokens(v);
      else walk(v, acc);
    }
  }
}

function part(acc: Tally, need: Capability, tokens: number): void {
  acc.needs.add(need);
  acc.tokens += tokens;
}

function modelOf(modelId: string | undefined): ModelSpec | undefined {
  if (modelId === undefined) return undefined;
  try {
    return findModel(modelId);
  } catch {
    return undefined; // not a model id at all: the policy refuses it with its own error
  }
}

function temperatureOf(
  body: JsonObject,
  operation: InvocationRequest['operation'] | undefined,
  model: ModelSpec | undefined,
): number | undefined {
  if ((operation !== undefined && bodyShapeOf(operation) === 'converse') || model?.bodyFormat === 'nova-messages-v1')
    return numberAt(body, 'inferenceConfig', 'temperature');
  if (
    model?.bodyFormat === 'anthropic-messages' ||
    model?.bodyFormat === 'meta-llama' ||
    model?.bodyFormat === 'mistral-completion'
  )
    return numberAt(body, 'temperature');
  return undefined;
}

/** Whose conventions (image sizes, body fields) a model's requests follow. */
export function modelFamilyOf(modelId: string): Family {
  return familyOf(modelOf(modelId), modelId);
}

function familyOf(model: ModelSpec | undefined, modelId: string): Family {
  return model?.provider === 'anthropic' || /(^|[./])anthropic\./.test(modelId) ? 'anthropic' : 'other';
}

/** The billed tokens of a body (leaning high) and the capabilities it needs, read as `family` reads it. */
export function bodyTally(body: JsonObject, family: Family): BodyTally {
  const acc: Tally = { tokens: 0, needs: new Set<Capability>(), family };
  for (const [key, value] of Object.entries(body)) if (!NOT_BILLED.has(key)) walk(value, acc);
  const messages = body['messages'];
  if (Array.isArray(messages)) acc.tokens += messages.length * TOKENS_PER_MESSAGE;
  const tools = get(body, 'toolConfig', 'tools') ?? body['tools'];
  if (Array.isArray(tools) && tools.length > 0) {
    acc.needs.add('tools');
    acc.tokens += TOOL_USE_TOKENS;
  }
  return { family, tokens: acc.tokens, needs: [...acc.needs] };
}

/** Reads the features of a Converse body, or an InvokeModel body of the model's family. */
export function requestFeatures(request: Pick<InvocationRequest, 'body' | 'operation' | 'modelId'>): RequestFeatures {
  const { body, operation } = request;
  const model = modelOf(request.modelId);
  const family = familyOf(model, request.modelId);
  // A large body is tallied off the request's thread before it is planned (see body-analysis.ts).
  const known = rememberedAnalysis(body)?.tally;
  const tally = known?.family === family ? known : bodyTally(body, family);
  return {
    temperature: temperatureOf(body, operation, model),
    maxOutputTokens: operation === undefined ? undefined : readOutputCap(body, outputCapField(operation, model)),
    // No call bills more input than its context window holds (Bedrock refuses a longer prompt).
    estimatedInputTokens: Math.min(Math.ceil(tally.tokens), model?.contextTokens ?? MAX_CONTEXT_TOKENS),
    needs: new Set(tally.needs),
  };
}
