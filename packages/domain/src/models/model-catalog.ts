import { NovaCostError } from '../errors/nova-cost.error';

export type ModelKind = 'text' | 'embedding' | 'speech';

/** Things a request may need from a model. Routing never sends a request to a model lacking one it needs. */
export type Capability = 'tools' | 'images' | 'documents' | 'video';

/** The shape of an InvokeModel body. Converse bodies are the same for every text model. */
export type BodyFormat =
  | 'nova-messages-v1'
  | 'anthropic-messages'
  | 'nova-embedding'
  | 'titan-embedding'
  | 'cohere-embedding'
  | 'nova-sonic'
  | 'meta-llama'
  | 'mistral-completion';

export interface ModelSpec {
  /** Base model id, as in a foundation-model ARN. */
  readonly id: string;
  readonly name: string;
  readonly provider: 'amazon' | 'anthropic' | 'cohere' | 'meta' | 'mistral';
  readonly kind: ModelKind;
  readonly capabilities: readonly Capability[];
  readonly bodyFormat: BodyFormat;
  readonly contextTokens: number;
  /** Most output tokens one call may produce: what a call that sets no cap may cost. Embeddings produce none. */
  readonly maxOutputTokens?: number;
  /** Several inputs may be embedded in one call (Cohere `texts`, up to 96). */
  readonly acceptsInputBatch?: boolean;
}

/** How a model id was addressed: directly, or through a cross-region inference profile. */
export type ProfileScope = 'none' | 'geo' | 'global';

export interface ResolvedModelId {
  readonly baseModelId: string;
  readonly scope: ProfileScope;
}

const GEO_PREFIXES = new Set(['us', 'eu', 'apac', 'jp', 'au', 'ca', 'us-gov']);
const MODEL_ID = /^[a-z0-9-]+\.[a-z0-9.:-]+$/;

/** Ids resolved before: a call resolves its model id several times (route, policy, price, ledger, metrics). */
const resolved = new Map<string, ResolvedModelId>();
/** Past this many distinct ids (they come from request paths) the memo starts again, so it cannot grow unbounded. */
const MAX_RESOLVED = 1_000;

/**
 * Reduces a model id, inference-profile id or ARN to its base model id and profile scope.
 * Throws a validation error for anything that cannot be a Bedrock model id (path tricks included).
 */
export function resolveModelId(modelId: string): ResolvedModelId {
  let answer = resolved.get(modelId);
  if (answer === undefined) {
    answer = resolve(modelId);
    if (resolved.size >= MAX_RESOLVED) resolved.clear();
    resolved.set(modelId, answer);
  }
  return answer;
}

function resolve(modelId: string): ResolvedModelId {
  let id = modelId;
  const arn =
    /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(foundation-model|inference-profile|application-inference-profile)\/(.+)$/.exec(
      id,
    );
  if (arn) id = arn[2] ?? '';
  // An application inference profile is named by a generated id, not a model id: it is no catalog model (unpriced).
  if (arn?.[1] === 'application-inference-profile' && /^[a-z0-9]{1,64}$/.test(id))
    return { baseModelId: id, scope: 'none' };
  const [first, ...rest] = id.split('.');
  if (first !== undefined && rest.length >= 2 && (first === 'global' || GEO_PREFIXES.has(first))) {
    const baseModelId = rest.join('.');
    if (MODEL_ID.test(baseModelId)) return { baseModelId, scope: first === 'global' ? 'global' : 'geo' };
  }
  if (!MODEL_ID.test(id) || id.length > 200) {
    throw new NovaCostError(
      'validation',
      `model id must look like "provider.model-name-v1:0", got ${JSON.stringify(modelId.slice(0, 120))}`,
      {
        details: { field: 'modelId' },
      },
    );
  }
  return { baseModelId: id, scope: 'none' };
}

const TEXT_ALL: readonly Capability[] = ['tools', 'images', 'documents'];

/** The models nova-cost knows how to price and route. */
export const MODELS: readonly ModelSpec[] = [
  {
    id: 'amazon.nova-micro-v1:0',
    name: 'Amazon Nova Micro',
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'nova-messages-v1',
    contextTokens: 128_000,
    maxOutputTokens: 10_000,
  },
  {
    id: 'amazon.nova-lite-v1:0',
    name: 'Amazon Nova Lite',
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools', 'images', 'documents', 'video'],
    bodyFormat: 'nova-messages-v1',
    contextTokens: 300_000,
    maxOutputTokens: 10_000,
  },
  {
    id: 'amazon.nova-pro-v1:0',
    name: 'Amazon Nova Pro',
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools', 'images', 'documents', 'video'],
    bodyFormat: 'nova-messages-v1',
    contextTokens: 300_000,
    maxOutputTokens: 10_000,
  },
  {
    id: 'amazon.nova-premier-v1:0',
    name: 'Amazon Nova Premier',
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools', 'images', 'documents', 'video'],
    bodyFormat: 'nova-messages-v1',
    contextTokens: 1_000_000,
    maxOutputTokens: 32_000,
  },
  {
    id: 'amazon.nova-sonic-v1:0',
    name: 'Amazon Nova Sonic',
    provider: 'amazon',
    kind: 'speech',
    capabilities: ['tools'],
    bodyFormat: 'nova-sonic',
    contextTokens: 300_000,
  },
  {
    id: 'amazon.nova-2-multimodal-embeddings-v1:0',
    name: 'Amazon Nova Multimodal Embeddings',
    provider: 'amazon',
    kind: 'embedding',
    capabilities: ['images', 'documents', 'video'],
    bodyFormat: 'nova-embedding',
    contextTokens: 8_192,
    maxOutputTokens: 0,
  },
  {
    id: 'amazon.nova-2-lite-v1:0',
    name: 'Amazon Nova 2 Lite',
    provider: 'amazon',
    kind: 'text',
    capabilities: ['tools', 'images', 'documents', 'video'],
    bodyFormat: 'nova-messages-v1',
    contextTokens: 1_000_000,
    maxOutputTokens: 65_536,
  },
  {
    id: 'amazon.nova-2-sonic-v1:0',
    name: 'Amazon Nova 2 Sonic',
    provider: 'amazon',
    kind: 'speech',
    capabilities: ['tools'],
    bodyFormat: 'nova-sonic',
    contextTokens: 1_000_000,
    maxOutputTokens: 65_536,
  },
  {
    id: 'amazon.titan-embed-text-v1',
    name: 'Amazon Titan Embeddings G1 - Text',
    provider: 'amazon',
    kind: 'embedding',
    capabilities: [],
    bodyFormat: 'titan-embedding',
    contextTokens: 8_000,
    maxOutputTokens: 0,
  },
  {
    id: 'amazon.titan-embed-text-v2:0',
    name: 'Amazon Titan Text Embeddings V2',
    provider: 'amazon',
    kind: 'embedding',
    capabilities: [],
    bodyFormat: 'titan-embedding',
    contextTokens: 8_192,
    maxOutputTokens: 0,
  },
  {
    id: 'cohere.embed-english-v3',
    name: 'Cohere Embed English v3',
    provider: 'cohere',
    kind: 'embedding',
    capabilities: [],
    bodyFormat: 'cohere-embedding',
    contextTokens: 512,
    maxOutputTokens: 0,
    acceptsInputBatch: true,
  },
  {
    id: 'cohere.embed-multilingual-v3',
    name: 'Cohere Embed Multilingual v3',
    provider: 'cohere',
    kind: 'embedding',
    capabilities: [],
    bodyFormat: 'cohere-embedding',
    contextTokens: 512,
    maxOutputTokens: 0,
    acceptsInputBatch: true,
  },
  {
    id: 'cohere.embed-v4:0',
    name: 'Cohere Embed v4',
    provider: 'cohere',
    kind: 'embedding',
    capabilities: ['images'],
    bodyFormat: 'cohere-embedding',
    contextTokens: 128_000,
    maxOutputTokens: 0,
  },
  {
    id: 'anthropic.claude-3-haiku-20240307-v1:0',
    name: 'Claude 3 Haiku',
    provider: 'anthropic',
    kind: 'text',
    capabilities: ['tools', 'images'],
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 4096,
  },
  {
    id: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    name: 'Claude 3.5 Haiku',
    provider: 'anthropic',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 8192,
  },
  {
    id: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    name: 'Claude 3.5 Sonnet',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 8192,
  },
  {
    id: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    name: 'Claude 3.5 Sonnet v2',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 8192,
  },
  {
    id: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
    name: 'Claude 3.7 Sonnet',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 131_072,
  },
  {
    id: 'anthropic.claude-sonnet-4-20250514-v1:0',
    name: 'Claude Sonnet 4',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    name: 'Claude Sonnet 4.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    name: 'Claude Haiku 4.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-opus-4-1-20250805-v1:0',
    name: 'Claude Opus 4.1',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 32_000,
  },
  {
    id: 'anthropic.claude-opus-4-5-20251101-v1:0',
    name: 'Claude Opus 4.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-opus-4-6-v1',
    name: 'Claude Opus 4.6',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 128_000,
  },
  {
    id: 'anthropic.claude-sonnet-4-6',
    name: 'Claude Sonnet 4.6',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-sonnet-5',
    name: 'Claude Sonnet 5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-opus-5',
    name: 'Claude Opus 5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 128_000,
  },
  {
    id: 'anthropic.claude-haiku-5-5',
    name: 'Claude Haiku 5.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-sonnet-5-5',
    name: 'Claude Sonnet 5.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 64_000,
  },
  {
    id: 'anthropic.claude-opus-5-5',
    name: 'Claude Opus 5.5',
    provider: 'anthropic',
    kind: 'text',
    capabilities: TEXT_ALL,
    bodyFormat: 'anthropic-messages',
    contextTokens: 200_000,
    maxOutputTokens: 128_000,
  },
  {
    id: 'meta.llama3-1-8b-instruct-v1:0',
    name: 'Llama 3.1 8B Instruct',
    provider: 'meta',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'meta-llama',
    contextTokens: 128_000,
    maxOutputTokens: 2_048,
  },
  {
    id: 'meta.llama3-1-70b-instruct-v1:0',
    name: 'Llama 3.1 70B Instruct',
    provider: 'meta',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'meta-llama',
    contextTokens: 128_000,
    maxOutputTokens: 2_048,
  },
  {
    id: 'meta.llama3-3-70b-instruct-v1:0',
    name: 'Llama 3.3 70B Instruct',
    provider: 'meta',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'meta-llama',
    contextTokens: 128_000,
    maxOutputTokens: 2_048,
  },
  {
    id: 'meta.llama4-scout-17b-instruct-v1:0',
    name: 'Llama 4 Scout 17B Instruct',
    provider: 'meta',
    kind: 'text',
    capabilities: ['tools', 'images'],
    bodyFormat: 'meta-llama',
    contextTokens: 3_500_000,
    maxOutputTokens: 8_192,
  },
  {
    id: 'meta.llama4-maverick-17b-instruct-v1:0',
    name: 'Llama 4 Maverick 17B Instruct',
    provider: 'meta',
    kind: 'text',
    capabilities: ['tools', 'images'],
    bodyFormat: 'meta-llama',
    contextTokens: 1_000_000,
    maxOutputTokens: 8_192,
  },
  {
    id: 'mistral.mistral-7b-instruct-v0:2',
    name: 'Mistral 7B Instruct',
    provider: 'mistral',
    kind: 'text',
    capabilities: [],
    bodyFormat: 'mistral-completion',
    contextTokens: 32_000,
    maxOutputTokens: 8_192,
  },
  {
    id: 'mistral.mixtral-8x7b-instruct-v0:1',
    name: 'Mixtral 8x7B Instruct',
    provider: 'mistral',
    kind: 'text',
    capabilities: [],
    bodyFormat: 'mistral-completion',
    contextTokens: 32_000,
    maxOutputTokens: 4_096,
  },
  {
    id: 'mistral.mistral-small-2402-v1:0',
    name: 'Mistral Small (24.02)',
    provider: 'mistral',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'mistral-completion',
    contextTokens: 32_000,
    maxOutputTokens: 8_192,
  },
  {
    id: 'mistral.mistral-large-2402-v1:0',
    name: 'Mistral Large (24.02)',
    provider: 'mistral',
    kind: 'text',
    capabilities: ['tools'],
    bodyFormat: 'mistral-completion',
    contextTokens: 32_000,
    maxOutputTokens: 8_192,
  },
];

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

/** The spec of a known model, or undefined. Accepts profile ids and ARNs. */
export function findModel(modelId: string): ModelSpec | undefined {
  return BY_ID.get(resolveModelId(modelId).baseModelId);
}

/** The spec of a known model; a not-found error naming the id otherwise. */
export function getModel(modelId: string): ModelSpec {
  const spec = findModel(modelId);
  if (!spec) throw new NovaCostError('not-found', `unknown model ${JSON.stringify(modelId)}`, { details: { modelId } });
  return spec;
}
