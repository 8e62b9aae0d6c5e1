import type { ModelSpec } from '@nova-cost/domain';
import { answerAnthropicMessages } from './anthropic-messages.responder';
import { answerLlama, answerMistral } from './completion.responders';
import { answerConverse } from './converse.responder';
import { answerCohereEmbedding, answerNovaEmbedding, answerTitanEmbedding } from './embedding.responders';
import type { AnswerContext, ModelAnswer } from './model-answer';
import { answerNovaMessages } from './nova-messages.responder';
import type { PromptCaching } from './prompt-caching';
import type { StreamTiming, StreamedEvent } from './stream-events';
import {
  anthropicStreamChunks,
  converseStreamEvents,
  llamaStreamChunks,
  mistralStreamChunks,
  novaStreamChunks,
} from './stream-events';
import { validation } from './wire-error';

const UNSUPPORTED =
  "This action doesn't support the model that you provided. Try again with a supported text or chat model.";

/** Picks the responder for an operation and a model's body format. */
export function answerModelCall(
  operation: 'converse' | 'invoke',
  spec: ModelSpec,
  body: Record<string, unknown>,
  ctx: AnswerContext,
  cache: PromptCaching,
): ModelAnswer {
  if (operation === 'converse') {
    if (spec.kind !== 'text') throw validation(UNSUPPORTED);
    return answerConverse(body, ctx, cache);
  }
  switch (spec.bodyFormat as ModelSpec['bodyFormat'] | 'uncatalogued') {
    case 'uncatalogued':
      throw validation(`The local endpoint answers ${ctx.baseModelId} through Converse only.`);
    case 'nova-messages-v1':
      return answerNovaMessages(body, ctx, cache);
    case 'anthropic-messages':
      return answerAnthropicMessages(body, ctx, cache);
    case 'titan-embedding':
      return answerTitanEmbedding(body, ctx);
    case 'nova-embedding':
      return answerNovaEmbedding(body, ctx);
    case 'cohere-embedding':
      return answerCohereEmbedding(body, ctx);
    case 'meta-llama':
      return answerLlama(body, ctx);
    case 'mistral-completion':
      return answerMistral(body, ctx);
    case 'nova-sonic':
      throw validation('Nova Sonic is only available through InvokeModelWithBidirectionalStream.');
  }
}

const NOT_STREAMED = 'The model is unsupported for streaming.';

/** Refuses, before any answer is made, a stream of a model Bedrock does not stream (embeddings, Nova Sonic). */
export function checkStreamable(operation: 'converse-stream' | 'invoke-with-response-stream', spec: ModelSpec): void {
  if (operation === 'converse-stream') return;
  const format = spec.bodyFormat as ModelSpec['bodyFormat'] | 'uncatalogued';
  if (!['nova-messages-v1', 'anthropic-messages', 'meta-llama', 'mistral-completion', 'uncatalogued'].includes(format))
    throw validation(NOT_STREAMED);
}

/** The events of a streamed answer: ConverseStream's, or the model family's own chunks for InvokeModelWithResponseStream. */
export function streamEvents(
  operation: 'converse-stream' | 'invoke-with-response-stream',
  spec: ModelSpec,
  answer: ModelAnswer,
  timing: StreamTiming,
): StreamedEvent[] {
  if (operation === 'converse-stream') return converseStreamEvents(answer.body);
  switch (spec.bodyFormat) {
    case 'nova-messages-v1':
      return novaStreamChunks(answer.body, answer, timing);
    case 'anthropic-messages':
      return anthropicStreamChunks(answer.body, answer, timing);
    case 'meta-llama':
      return llamaStreamChunks(answer.body, answer, timing);
    case 'mistral-completion':
      return mistralStreamChunks(answer.body, answer, timing);
    default:
      throw validation(NOT_STREAMED);
  }
}
