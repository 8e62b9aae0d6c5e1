import type { ModelOperation } from './model-route';

export interface LocalBedrockStats {
  /** Model and guardrail calls received (every POST to /model/… and /guardrail/…, whatever its outcome). */
  calls: number;
  /** Calls per model id as addressed (URL-decoded). */
  byModel: Record<string, number>;
  /** For each embedding call that was answered, how many inputs it carried (Cohere `texts` > 1 when merged). */
  embeddedInputs: number[];
  /** Calls answered with an injected fault (throttle, 5xx, drop, a stream broken mid-way) or throttled by the quota. */
  faults: number;
  /**
   * Streamed answers (ConverseStream, InvokeModelWithResponseStream): started (admitted, answer made), completed
   * (every event sent), abandoned (the client left before the end, e.g. an aborted upstream call).
   */
  streams: { started: number; completed: number; abandoned: number };
  /**
   * InvokeModelWithBidirectionalStream sessions (Nova Sonic): started, completed (the client ended them), abandoned
   * (the client left first). A session broken by an injected fault counts in `faults`.
   */
  sessions: { started: number; completed: number; abandoned: number };
  /** Model calls served in a service tier they named (Converse `serviceTier`, InvokeModel's header), by tier. */
  serviceTiers: Record<string, number>;
  /** ApplyGuardrail calls (also counted in `calls`). */
  guardrailCalls: number;
  /**
   * The last model call as received: what a gateway forwarded (the body's fields, the X-Amzn-Bedrock-* headers).
   * Absent until a call arrives.
   */
  lastCall?: { modelId: string; operation: ModelOperation; body: unknown; bedrockHeaders: Record<string, string> };
}

export function emptyStats(): LocalBedrockStats {
  return {
    calls: 0,
    byModel: {},
    embeddedInputs: [],
    faults: 0,
    streams: { started: 0, completed: 0, abandoned: 0 },
    sessions: { started: 0, completed: 0, abandoned: 0 },
    serviceTiers: {},
    guardrailCalls: 0,
  };
}
