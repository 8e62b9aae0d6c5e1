import type { ResolvedFaults } from './local-bedrock.options';

/** Sliding-window request quota per base model, as Bedrock enforces requests per minute. */
export class RequestQuota {
  private readonly admitted = new Map<string, number[]>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Admits the call (and counts it) or says it is over the quota. */
  admit(baseModelId: string, quota: ResolvedFaults['quota']): boolean {
    if (quota === null) return true;
    const now = this.now();
    const recent = (this.admitted.get(baseModelId) ?? []).filter((t) => t > now - quota.windowMs);
    if (recent.length >= quota.requestsPerWindow) {
      this.admitted.set(baseModelId, recent);
      return false;
    }
    recent.push(now);
    this.admitted.set(baseModelId, recent);
    return true;
  }

  clear(): void {
    this.admitted.clear();
  }
}
