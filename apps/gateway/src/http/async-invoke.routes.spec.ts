import type { JsonObject } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { matchAsyncInvokeRoute, parseListQuery, parseStartAsyncInvoke } from './async-invoke.routes';

const start = (body: JsonObject) => parseStartAsyncInvoke('acme', body);
const MODEL = 'amazon.nova-lite-v1:0';

describe(matchAsyncInvokeRoute, () => {
  it('routes the SDK’s paths, the invocation ARN percent-encoded as one segment', () => {
    const arn = encodeURIComponent('arn:aws:bedrock:us-east-1:000000000000:async-invoke/abc123');
    expect(matchAsyncInvokeRoute('POST', '/async-invoke')).toEqual({ kind: 'start-async-invoke' });
    expect(matchAsyncInvokeRoute('GET', '/async-invoke')).toEqual({ kind: 'list-async-invokes' });
    expect(matchAsyncInvokeRoute('GET', `/async-invoke/${arn}`)).toEqual({ kind: 'get-async-invoke', id: 'abc123' });
    expect(matchAsyncInvokeRoute('GET', '/async-invoke/abc123/output')).toEqual({
      kind: 'get-async-invoke-output',
      id: 'abc123',
    });
    expect(matchAsyncInvokeRoute('DELETE', '/async-invoke')).toBeUndefined();
    expect(matchAsyncInvokeRoute('POST', '/model/x/converse')).toBeUndefined();
  });

  it('refuses an ARN that is not an async invocation’s', () => {
    expect(() => matchAsyncInvokeRoute('GET', `/async-invoke/${encodeURIComponent('arn:aws:iam::1:role/x')}`)).toThrow(
      /invocationArn must be an async-invoke ARN/,
    );
  });
});

describe(parseStartAsyncInvoke, () => {
  it.each([
    [
      'a Converse body',
      { messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 10 } },
      'converse',
    ],
    [
      'Nova’s own body',
      { schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
      'invoke',
    ],
    [
      'snake_case settings',
      { messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { max_new_tokens: 10 } },
      'invoke',
    ],
    ['an Anthropic body', { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [] }, 'invoke'],
    ['an embedding input', { inputText: 'embed me' }, 'invoke'],
  ])('takes %s as %s', (_what, modelInput, operation) => {
    expect(start({ modelId: MODEL, modelInput }).operation).toBe(operation);
  });

  it('follows the nova-cost:format tag, reads the deadline tag, the token and the output location', () => {
    const deadline = '2026-03-02T06:00:00.000Z';
    expect(
      start({
        modelId: MODEL,
        modelInput: { messages: [] },
        clientRequestToken: 'tok-1',
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bucket/out' } },
        tags: [
          { key: 'nova-cost:format', value: 'invoke' },
          { key: 'nova-cost:deadline', value: deadline },
        ],
      }),
    ).toEqual({
      tenantId: 'acme',
      modelId: MODEL,
      operation: 'invoke',
      body: { messages: [] },
      clientRequestToken: 'tok-1',
      outputS3Uri: 's3://bucket/out',
      deadline: new Date(deadline),
    });
  });

  it.each([
    [{ modelInput: {} }, 'modelId'],
    [{ modelId: MODEL, modelInput: 'text' }, 'modelInput'],
    [
      { modelId: MODEL, modelInput: {}, outputDataConfig: { s3OutputDataConfig: { s3Uri: 'https://x' } } },
      'outputDataConfig',
    ],
    [{ modelId: MODEL, modelInput: {}, tags: [{ key: 'nova-cost:deadline', value: 'soon' }] }, 'tags'],
    [{ modelId: MODEL, modelInput: {}, tags: [{ key: 'nova-cost:format', value: 'xml' }] }, 'tags'],
    [{ modelId: MODEL, modelInput: {}, tags: 'x' }, 'tags'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => start(body)).toThrow(expect.objectContaining({ kind: 'validation', details: { field } }));
  });
});

describe(parseListQuery, () => {
  it('reads the SDK’s query and refuses what Bedrock would', () => {
    const url = new URL(
      'http://g/async-invoke?statusEquals=Completed&maxResults=5&sortOrder=Ascending&submitTimeAfter=2026-03-01T00:00:00Z',
    );
    expect(parseListQuery(url)).toEqual({
      statusEquals: 'Completed',
      maxResults: 5,
      sortOrder: 'Ascending',
      submittedAfter: new Date('2026-03-01T00:00:00Z'),
    });
    expect(() => parseListQuery(new URL('http://g/async-invoke?statusEquals=Done'))).toThrow(
      /statusEquals must be one of InProgress, Completed, Failed/,
    );
    expect(() => parseListQuery(new URL('http://g/async-invoke?submitTimeBefore=yesterday'))).toThrow(
      /submitTimeBefore must be an ISO-8601 time/,
    );
  });
});
