/** One entry of an ECS capacity provider strategy, as in the template. */
export interface StrategyItem {
  readonly capacityProvider: string;
  readonly weight: number;
  readonly base: number;
}

/**
 * How ECS spreads `tasks` over a strategy: the base is placed first on its provider, the rest by weight.
 * Returns fractional tasks per provider (an average over placements).
 */
export function splitTasks(tasks: number, strategy: readonly StrategyItem[]): Map<string, number> {
  const result = new Map<string, number>(strategy.map((s) => [s.capacityProvider, 0]));
  if (strategy.length === 0) return new Map([['FARGATE', tasks]]);
  let remaining = tasks;
  for (const s of strategy) {
    const placed = Math.min(remaining, s.base);
    result.set(s.capacityProvider, (result.get(s.capacityProvider) ?? 0) + placed);
    remaining -= placed;
  }
  const totalWeight = strategy.reduce((sum, s) => sum + s.weight, 0);
  if (remaining > 0 && totalWeight > 0) {
    for (const s of strategy) {
      result.set(s.capacityProvider, (result.get(s.capacityProvider) ?? 0) + (remaining * s.weight) / totalWeight);
    }
  }
  return result;
}
