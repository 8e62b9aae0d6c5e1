import type { BedrockRuntimeClient, CountTokensCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { CountTokensCommand } from '@aws-sdk/client-bedrock-runtime';
import type { InvocationRequest, JsonObject } from '@nova-cost/domain';
import { isJsonObject, NovaCostError } from '@nova-cost/domain';
import { converseInputFromJson } from './converse-json';

/**
 * CountTokens: `{input: {converse: {...}}}` (blobs decoded as for Converse) or `{input: {invokeModel: {body}}}` (the
 * model's body, base64 on the JSON wire) → `{inputTokens}`. Bedrock bills nothing for it.
 */
export async function countTokens(
  client: BedrockRuntimeClient,
  request: InvocationRequest,
  signal: AbortSignal,
): Promise<JsonObject> {
  const input = request.body['input'];
  if (!isJsonObject(input))
    throw new NovaCostError(
      'validation',
      'count-tokens body must be {"input": {"converse": {...}} or {"invokeModel": {"body": <base64>}}}',
      { details: { field: 'input' } },
    );
  let sdkInput: CountTokensCommandInput['input'];
  const invoke = input['invokeModel'];
  if (isJsonObject(invoke)) {
    const body = invoke['body'];
    if (typeof body !== 'string')
      throw new NovaCostError('validation', 'input.invokeModel.body must be the model body, base64', {
        details: { field: 'input.invokeModel.body' },
      });
    sdkInput = { invokeModel: { body: Buffer.from(body, 'base64') } };
  } else {
    sdkInput = {
      converse: converseInputFromJson(isJsonObject(input['converse']) ? input['converse'] : {}),
    } as unknown as CountTokensCommandInput['input'];
  }
  const output = await client.send(new CountTokensCommand({ modelId: request.modelId, input: sdkInput }), {
    abortSignal: signal,
  });
  return { inputTokens: output.inputTokens ?? 0 };
}
