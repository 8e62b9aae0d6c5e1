import type { JsonObject, JsonValue } from '../json';
import { isJsonObject } from '../json';
import type { Capability } from '../models/model-catalog';
import type { InvocationRequest } from './invocation.types';

/** What the policy needs to know about a request body, whatever its model family. */
export interface RequestFeatures {
  /** undefined when the body does not set it (the model's default then applies, which is not 0). */
  readonly temperature: number | undefined;
  /** The output cap the caller set, if any. */
  readonly maxOutputTokens: number | undefined;
  /**
   * A rough count of prompt tokens, leaning high: 4 ASCII characters a token, every other character (CJK, accents,
   * emoji) a token of its own, plus a flat share per image or document.
   */
  readonly estimatedInputTokens: number;
  /** Capabilities the request needs from whichever model answers it. */
  readonly needs: ReadonlySet<Capability>;
}

const CHARS_PER_TOKEN = 4;
const TOKENS_PER_ATTACHMENT = 1_600;

function get(obj: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let cur = obj;
  for (const key of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function numberAt(body: JsonObject, ...paths: string[][]): number | undefined {
  for (const path of paths) {
    const v = get(body, ...path);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Walks the body once, counting text and spotting attachments of every family's shape. */
function scan(value: JsonValue | undefined, acc: { chars: number; attachments: number; needs: Set<Capability> }): void {
  if (typeof value === 'string') {
    let wide = 0;
    for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) wide += 1;
    acc.chars += value.length - wide + wide * CHARS_PER_TOKEN;
  } else if (Array.isArray(value)) {
    for (const v of value) scan(v, acc);
  } else if (isJsonObject(value)) {
    // Converse / Nova blocks: { image: {...} }; Anthropic blocks: { type: 'image', source: {...} }.
    const type = value['type'];
    if ('image' in value || type === 'image') flag('images');
    else if ('document' in value || type === 'document') flag('documents');
    else if ('video' in value || type === 'video') flag('video');
    else for (const v of Object.values(value)) scan(v, acc);
  }
  function flag(c: Capability): void {
    acc.needs.add(c);
    acc.attachments += 1;
  }
}

/** Reads the features of a Converse, Nova messages-v1 or Anthropic messages body. */
export function requestFeatures(request: Pick<InvocationRequest, 'body'>): RequestFeatures {
  const body = request.body;
  const acc = { chars: 0, attachments: 0, needs: new Set<Capability>() };
  scan(body['messages'], acc);
  scan(body['system'], acc);
  for (const field of ['inputText', 'texts', 'prompt']) scan(body[field], acc);
  const tools = get(body, 'toolConfig', 'tools') ?? body['tools'];
  if (Array.isArray(tools) && tools.length > 0) acc.needs.add('tools');
  return {
    temperature: numberAt(body, ['inferenceConfig', 'temperature'], ['temperature']),
    maxOutputTokens: numberAt(body, ['inferenceConfig', 'maxTokens'], ['inferenceConfig', 'max_new_tokens'], ['max_tokens']),
    estimatedInputTokens: Math.ceil(acc.chars / CHARS_PER_TOKEN) + acc.attachments * TOKENS_PER_ATTACHMENT,
    needs: acc.needs,
  };
}
