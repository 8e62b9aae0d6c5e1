import type { ApplyGuardrailCommandInput, BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ApplyGuardrailCommand } from '@aws-sdk/client-bedrock-runtime';
import type { GuardrailRequest, JsonObject } from '@nova-cost/domain';
import { blobsToBase64, blocksFromJson } from './converse-json';

/**
 * ApplyGuardrail: the caller's body (`source`, `content` with image bytes in base64 on the JSON wire, `outputScope`)
 * to the guardrail version of the request; Bedrock's answer as JSON (`action`, `outputs`, `assessments`, `usage`, …).
 */
export async function applyGuardrail(
  client: BedrockRuntimeClient,
  request: GuardrailRequest,
  signal: AbortSignal,
): Promise<JsonObject> {
  const input = {
    ...request.body,
    content: blocksFromJson(request.body['content'], 'content'),
    guardrailIdentifier: request.guardrailId,
    guardrailVersion: request.guardrailVersion,
  } as unknown as ApplyGuardrailCommandInput;
  const { $metadata: _metadata, ...output } = await client.send(new ApplyGuardrailCommand(input), {
    abortSignal: signal,
  });
  return blobsToBase64(output) as JsonObject;
}
