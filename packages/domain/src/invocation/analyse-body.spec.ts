import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json';
import { analyseBody } from './analyse-body';
import { rememberBodyAnalysis } from './body-analysis';
import type { InvocationRequest } from './invocation.types';
import { requestFeatures } from './request-features';
import { requestKey } from './request-key';

const text = (s: string): JsonObject => ({
  messages: [{ role: 'user', content: [{ text: s }] }],
  inferenceConfig: { temperature: 0, maxTokens: 100 },
});
const tools: JsonObject = {
  messages: [
    {
      role: 'user',
      content: [
        { text: 'results' },
        ...Array.from({ length: 50 }, (_, i) => ({ toolResult: { toolUseId: `t${i}`, content: [{ json: { i } }] } })),
      ],
    },
  ],
  requestMetadata: { team: 'a' },
};
const request = (body: JsonObject, modelId = 'amazon.nova-lite-v1:0'): InvocationRequest => ({
  tenantId: 'acme',
  modelId,
  operation: 'converse',
  body,
});
/** The same body as another parse of the same bytes gives it. */
const reparsed = (body: JsonObject) => JSON.parse(JSON.stringify(body)) as JsonObject;

describe(analyseBody, () => {
  it.each([
    ['text', text('hello there')],
    ['tool results', tools],
  ])('gives, remembered for another parse of the same %s body, the features and key computed inline', (_, body) => {
    const inline = request(body);
    const parsed = request(reparsed(body));
    rememberBodyAnalysis(parsed.body, analyseBody(parsed));
    expect(requestFeatures(parsed)).toEqual(requestFeatures(inline));
    expect(requestKey(parsed, 'us-east-1')).toBe(requestKey(inline, 'us-east-1'));
  });

  it('is what requestFeatures and requestKey then read, instead of walking the body', () => {
    const r = request(text('hello there'));
    rememberBodyAnalysis(r.body, {
      digest: 'd'.repeat(64),
      tally: { family: 'other', tokens: 12_345, needs: ['images'] },
    });
    expect(requestFeatures(r)).toMatchObject({ estimatedInputTokens: 12_345, needs: new Set(['images']) });
    expect(requestKey(r, 'us-east-1')).toMatch(/:converse:d{64}$/);
  });

  it('is not used for a model family it was not made for, nor for a key with InvokeModel parameters', () => {
    const body = text('hello there');
    rememberBodyAnalysis(body, { digest: 'd'.repeat(64), tally: { family: 'other', tokens: 12_345, needs: [] } });
    const claude = request(body, 'anthropic.claude-3-haiku-20240307-v1:0');
    expect(requestFeatures(claude).estimatedInputTokens).toBe(
      requestFeatures(request(text('hello there'), claude.modelId)).estimatedInputTokens,
    );
    const withParameters = { ...request(body), operation: 'invoke' as const, parameters: { trace: 'ENABLED' } };
    expect(requestKey(withParameters, 'us-east-1')).not.toMatch(/d{64}$/);
  });
});
