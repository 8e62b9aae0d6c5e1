import type { InvokeModelCommandInput } from '@aws-sdk/client-bedrock-runtime';
import type { InvokeParameters } from '@nova-cost/domain';

/**
 * What Bedrock reads beside an InvokeModel body (its X-Amzn-Bedrock-* headers), as the caller sent it, in the SDK's
 * input fields: the same for InvokeModel and InvokeModelWithResponseStream.
 */
export function invokeParametersInput(p: InvokeParameters = {}): Partial<InvokeModelCommandInput> {
  return {
    ...(p.trace !== undefined ? { trace: p.trace as InvokeModelCommandInput['trace'] } : {}),
    ...(p.guardrailIdentifier !== undefined ? { guardrailIdentifier: p.guardrailIdentifier } : {}),
    ...(p.guardrailVersion !== undefined ? { guardrailVersion: p.guardrailVersion } : {}),
    ...(p.performanceConfigLatency !== undefined
      ? { performanceConfigLatency: p.performanceConfigLatency as InvokeModelCommandInput['performanceConfigLatency'] }
      : {}),
    ...(p.serviceTier !== undefined ? { serviceTier: p.serviceTier as InvokeModelCommandInput['serviceTier'] } : {}),
    ...(p.requestMetadata !== undefined ? { requestMetadata: JSON.stringify(p.requestMetadata) } : {}),
  };
}
