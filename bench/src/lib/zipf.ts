import { seededDice } from '@nova-cost/bedrock-local';

/**
 * Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s, from a seeded generator,
 * so a workload can be replayed identically against every contender in one run.
 */
export function zipfSequence(count: number, n: number, s = 1.1, seed = 42): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const random = seededDice(seed);
  return Array.from({ length: count }, () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
}
