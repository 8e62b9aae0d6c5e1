import { countTokens, generateEmbedding, hashOf, stableJson } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import { isObject } from './prompt';
import { validation } from './wire-error';

function embedded(body: Record<string, unknown>, inputTokens: number, inputs: number): ModelAnswer {
  return {
    body,
    inputTokens,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    embeddedInputs: inputs,
  };
}

const TITAN_DIMENSIONS = [256, 512, 1024];

/**
 * Titan Text Embeddings V2: `{inputText, dimensions?, normalize?}` → `{embedding, inputTextTokenCount}`; V1 (LangChain's
 * default embeddings model) takes `{inputText}` alone and answers 1536 dimensions.
 */
export function answerTitanEmbedding(body: Record<string, unknown>, ctx: AnswerContext): ModelAnswer {
  const text = body['inputText'];
  if (typeof text !== 'string' || text === '')
    throw validation('Malformed input request: #: required key [inputText] not found');
  if (ctx.baseModelId === 'amazon.titan-embed-text-v1') {
    const extra = Object.keys(body).filter((k) => k !== 'inputText');
    if (extra.length > 0) throw validation(`Malformed input request: extraneous key [${extra[0]}] is not permitted`);
    const embedding = generateEmbedding(hashOf(ctx.baseModelId, text), 1536);
    return embedded({ embedding, inputTextTokenCount: countTokens(text) }, countTokens(text), 1);
  }
  const dimensions = body['dimensions'] ?? 1024;
  if (!TITAN_DIMENSIONS.includes(dimensions as number))
    throw validation(`Malformed input request: #/dimensions: ${String(dimensions)} is not a valid enum value`);
  const tokens = countTokens(text);
  const embedding = generateEmbedding(hashOf(ctx.baseModelId, text), dimensions as number);
  return embedded({ embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens }, tokens, 1);
}

const NOVA_DIMENSIONS = [256, 384, 1024, 3072];

/** Nova Multimodal Embeddings: `{taskType:'SINGLE_EMBEDDING', singleEmbeddingParams}` → `{embeddings:[{embeddingType, embedding}]}`. */
export function answerNovaEmbedding(body: Record<string, unknown>, ctx: AnswerContext): ModelAnswer {
  const params = body['singleEmbeddingParams'];
  if (body['taskType'] !== 'SINGLE_EMBEDDING' || !isObject(params)) {
    throw validation(`Malformed input request: taskType must be 'SINGLE_EMBEDDING' with singleEmbeddingParams`);
  }
  const dimensions = params['embeddingDimension'] ?? 3072;
  if (!NOVA_DIMENSIONS.includes(dimensions as number))
    throw validation(`Malformed input request: embeddingDimension must be one of ${NOVA_DIMENSIONS.join(', ')}`);
  const text = isObject(params['text']) ? params['text']['value'] : undefined;
  const type = typeof text === 'string' ? 'TEXT' : ['image', 'video', 'audio'].find((k) => k in params)?.toUpperCase();
  if (type === undefined)
    throw validation('Malformed input request: singleEmbeddingParams needs text, image, video or audio');
  const source = typeof text === 'string' ? text : stableJson(params);
  const embedding = generateEmbedding(hashOf(ctx.baseModelId, stableJson(params)), dimensions as number);
  return embedded({ embeddings: [{ embeddingType: type, embedding }] }, countTokens(source), 1);
}

const COHERE_INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering'];

/** Cohere Embed v3: `{texts, input_type}` → `{embeddings, id, response_type:'embeddings_floats', texts}`; up to 96 texts a call. */
export function answerCohereEmbedding(body: Record<string, unknown>, ctx: AnswerContext): ModelAnswer {
  const texts = body['texts'];
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > 96 || !texts.every((t) => typeof t === 'string')) {
    throw validation('Malformed input request: texts must be an array of 1 to 96 strings');
  }
  if (!COHERE_INPUT_TYPES.includes(body['input_type'] as string)) {
    throw validation(`Malformed input request: input_type must be one of ${COHERE_INPUT_TYPES.join(', ')}`);
  }
  const strings = texts as string[];
  if (ctx.baseModelId === 'cohere.embed-v4:0') return answerCohereV4(body, strings, ctx);
  const embeddings = strings.map((t) =>
    generateEmbedding(hashOf(ctx.baseModelId, String(body['input_type']), t), 1024),
  );
  const tokens = strings.reduce((s, t) => s + countTokens(t), 0);
  const id = hashOf(ctx.baseModelId, stableJson(body)).slice(0, 32);
  return embedded(
    {
      embeddings,
      id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
      response_type: 'embeddings_floats',
      texts: strings,
    },
    tokens,
    strings.length,
  );
}

const COHERE_V4_DIMENSIONS = [256, 512, 1024, 1536];

/** Cohere Embed v4: `{texts, input_type, output_dimension?}` → `{embeddings: {float: [...]}, response_type: 'embeddings_by_type'}`. */
function answerCohereV4(body: Record<string, unknown>, strings: string[], ctx: AnswerContext): ModelAnswer {
  const dimensions = body['output_dimension'] ?? 1536;
  if (!COHERE_V4_DIMENSIONS.includes(dimensions as number))
    throw validation(`Malformed input request: output_dimension must be one of ${COHERE_V4_DIMENSIONS.join(', ')}`);
  const float = strings.map((t) =>
    generateEmbedding(hashOf(ctx.baseModelId, String(body['input_type']), t), dimensions as number),
  );
  const tokens = strings.reduce((s, t) => s + countTokens(t), 0);
  const id = hashOf(ctx.baseModelId, stableJson(body)).slice(0, 32);
  return embedded(
    { id, embeddings: { float }, response_type: 'embeddings_by_type', texts: strings },
    tokens,
    strings.length,
  );
}
