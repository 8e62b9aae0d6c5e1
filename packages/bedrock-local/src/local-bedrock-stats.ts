export interface LocalBedrockStats {
  /** Model calls received (every POST to /model/…, whatever its outcome). */
  calls: number;
  /** Calls per model id as addressed (URL-decoded). */
  byModel: Record<string, number>;
  /** For each embedding call that was answered, how many inputs it carried (Cohere `texts` > 1 when merged). */
  embeddedInputs: number[];
  /** Calls answered with an injected fault (throttle, 5xx, drop) or throttled by the quota. */
  faults: number;
}

export function emptyStats(): LocalBedrockStats {
  return { calls: 0, byModel: {}, embeddedInputs: [], faults: 0 };
}
