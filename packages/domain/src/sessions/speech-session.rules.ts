/** Worst-case tokens per second of a session, speech and text apart: what admission holds a session's budget for. */
export interface SessionTokenRates {
  /** @default 50 */
  readonly speechInput?: number;
  /** @default 50 */
  readonly speechOutput?: number;
  /** @default 100 */
  readonly textInput?: number;
  /** @default 50 */
  readonly textOutput?: number;
}

/** Limits of a tenant's speech-to-speech sessions (InvokeModelWithBidirectionalStream, Nova Sonic). */
export interface SpeechSessionRules {
  /** Sessions a tenant may have open at once in one gateway process. @default 20 (Bedrock's default quota of concurrent Nova Sonic streams) */
  readonly maxConcurrent?: number;
  /** Longest a session may last, in seconds. @default 480 (Bedrock ends a Nova Sonic connection after 8 minutes) */
  readonly maxSeconds?: number;
  /** A session in which neither side sent an event for this long is ended, in seconds. @default 60 */
  readonly idleSeconds?: number;
  /**
   * Tokens per second a session is assumed to bill at most. Admission holds the tenant's budget for this rate over
   * `maxSeconds` (the session's worst case); a session that bills past what is held gets another such hold, or is
   * ended when the budget has no room for it. @default 50 speech tokens a second each way, 100 text tokens in, 50 out
   */
  readonly worstCaseTokensPerSecond?: SessionTokenRates;
}

/** Every limit of SpeechSessionRules, defaults applied. */
export interface ResolvedSessionRules {
  readonly maxConcurrent: number;
  readonly maxSeconds: number;
  readonly idleSeconds: number;
  readonly worstCaseTokensPerSecond: Required<SessionTokenRates>;
}

export const DEFAULT_SESSION_RULES: ResolvedSessionRules = {
  maxConcurrent: 20,
  maxSeconds: 480,
  idleSeconds: 60,
  worstCaseTokensPerSecond: { speechInput: 50, speechOutput: 50, textInput: 100, textOutput: 50 },
};

/** A tenant's rules: its own (field by field) over the policy's default over nova-cost's defaults. */
export function resolveSessionRules(
  tenant: SpeechSessionRules | undefined,
  fallback: SpeechSessionRules | undefined,
): ResolvedSessionRules {
  const d = DEFAULT_SESSION_RULES;
  const pick = <K extends 'maxConcurrent' | 'maxSeconds' | 'idleSeconds'>(key: K): number =>
    tenant?.[key] ?? fallback?.[key] ?? d[key];
  const rates = {
    ...d.worstCaseTokensPerSecond,
    ...fallback?.worstCaseTokensPerSecond,
    ...tenant?.worstCaseTokensPerSecond,
  };
  return {
    maxConcurrent: pick('maxConcurrent'),
    maxSeconds: pick('maxSeconds'),
    idleSeconds: pick('idleSeconds'),
    worstCaseTokensPerSecond: rates,
  };
}
