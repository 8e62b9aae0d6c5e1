/**
 * Issue 17 benchmark: prompt-cache points. A seeded agent workload (50 conversations × 10 turns, a 3,000-token
 * system prompt and tools shared by all, gaps between a conversation's turns from 30 s to 20 min, conversations
 * starting over two hours) replayed in simulated time through nova-cost (the cost policy, the InvokeModel use case and
 * the Bedrock adapter over the local endpoint, whose prompt cache runs on the same simulated clock), three ways:
 * with guarded cache points (policy.cachePoints), with no cache points, and with a static point after the system
 * prompt on every request (what other gateways do). Each figure is a ratio of input cost (plain input, cache reads
 * and writes at their rates) in the same run; a round is a seed.
 *
 *   npm run bench -- levers     or alone: cd bench && npx tsx src/levers.bench.ts
 *
 * Figures:
 *   1. Claude Sonnet 4.5, guarded / no cache points                                                 (target ≤ 0.6)
 *   2. Claude Sonnet 4.5, guarded / static after the system prompt: gaps exceed the 5-minute TTL    (target < 1)
 *   3. a workload without reuse (every conversation its own prompt, turns over an hour apart), guarded / none
 *                                                                                                   (target ≤ 1.01)
 *   4. Nova Pro, guarded / no cache points (informative: Nova writes cost no more than input)
 */
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { JsonObject, TokenUsage } from '@nova-cost/domain';
import { InMemorySpendLedger, InvokeModel, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { BedrockModelInvoker } from '@nova-cost/infrastructure';
import type { AgentWorkload, AgentWorkloadOptions } from './lib/agent-workload';
import { agentWorkload } from './lib/agent-workload';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';

const SEEDS = [1, 2, 3];
const SONNET = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';
const T0 = Date.parse('2026-11-30T08:00:00Z');
const HOUR = 60 * 60_000;

type Variant = 'guarded' | 'none' | 'static';

interface Replay {
  readonly inputUsd: number;
  readonly calls: number;
  readonly readTokens: number;
  readonly writeTokens: number;
  readonly plainTokens: number;
}

/** Replays the workload in simulated time through nova-cost, on a fresh local endpoint, one way. */
async function replay(workload: AgentWorkload, modelId: string, variant: Variant): Promise<Replay> {
  let now = T0;
  const bedrock = await startLocalBedrock({ clock: () => now });
  const invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const clock = { now: () => new Date(now) };
    const pricing = new StaticPricingCatalog();
    const ledger = new InMemorySpendLedger();
    const rules = variant === 'guarded' ? { cachePoints: [{ insert: 'guarded' as const }] } : {};
    const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock });
    const useCase = new InvokeModel({ policy, invoker, pricing, ledger, clock });
    const histories = new Map<number, JsonObject[]>();
    const totals = { inputUsd: 0, calls: 0, readTokens: 0, writeTokens: 0, plainTokens: 0 };
    for (const turn of workload.turns) {
      now = T0 + turn.atMs;
      const prompt = workload.prompts[turn.conversation]!;
      const messages: JsonObject[] = [
        ...(histories.get(turn.conversation) ?? []),
        { role: 'user', content: [{ text: turn.text }] },
      ];
      const system: JsonObject[] = [{ text: prompt.system }];
      if (variant === 'static') system.push({ cachePoint: { type: 'default' } });
      const outcome = await useCase.execute({
        tenantId: 'agents',
        modelId,
        operation: 'converse',
        body: {
          system,
          toolConfig: { tools: [...prompt.tools] as JsonObject[] },
          messages,
          inferenceConfig: { maxTokens: 300 },
        },
      });
      const usage: TokenUsage = outcome.result.usage;
      totals.inputUsd += pricing.cost({ modelId, region: 'us-east-1', usage: { ...usage, outputTokens: 0 } });
      totals.calls += 1;
      totals.readTokens += usage.cacheReadInputTokens;
      totals.writeTokens += usage.cacheWriteInputTokens;
      totals.plainTokens += usage.inputTokens;
      const output = outcome.result.body['output'] as { message: JsonObject };
      histories.set(turn.conversation, [...messages, output.message]);
    }
    return totals;
  } finally {
    invoker.destroy();
    await bedrock.close();
  }
}

/** The workload replayed each way, per seed: the ratio of `ours` to `baseline` input cost, and the raw replays. */
async function compare(
  options: Omit<AgentWorkloadOptions, 'seed'>,
  modelId: string,
  variants: readonly Variant[],
): Promise<Map<Variant, Replay[]>> {
  const out = new Map<Variant, Replay[]>(variants.map((v) => [v, []]));
  for (const seed of SEEDS) {
    const workload = agentWorkload({ ...options, seed });
    // Alternate the order per seed: each replay is on its own endpoint and clock, but the machine's load is shared.
    const order = seed % 2 === 0 ? [...variants].reverse() : variants;
    for (const variant of order) out.get(variant)!.push(await replay(workload, modelId, variant));
  }
  return out;
}

const ratios = (ours: readonly Replay[], baseline: readonly Replay[]): number[] =>
  ours.map((r, i) => r.inputUsd / baseline[i]!.inputUsd);

const summary = (replays: readonly Replay[]) => ({
  inputUsd: median(replays.map((r) => r.inputUsd)),
  calls: median(replays.map((r) => r.calls)),
  readTokens: median(replays.map((r) => r.readTokens)),
  writeTokens: median(replays.map((r) => r.writeTokens)),
  plainTokens: median(replays.map((r) => r.plainTokens)),
});

async function run(): Promise<Figure[]> {
  const claude = await compare({}, SONNET, ['guarded', 'none', 'static']);
  const lonely = await compare({ distinctPrompts: true, gapMs: [61 * 60_000, 3 * HOUR] }, SONNET, ['guarded', 'none']);
  const nova = await compare({}, NOVA, ['guarded', 'none']);
  const [on, none, fixed] = (['guarded', 'none', 'static'] as const).map((v) => claude.get(v)!);
  return [
    figure(
      'levers.claude-guarded-vs-none',
      'input cost: guarded cache points / none (Claude Sonnet 4.5, agent workload)',
      ratios(on!, none!),
      {
        target: { op: '<=', value: 0.6 },
        details: { guarded: summary(on!), none: summary(none!) },
      },
    ),
    figure(
      'levers.claude-guarded-vs-static',
      'input cost: guarded / a static 5-minute point after the system prompt (gaps 30 s-20 min)',
      ratios(on!, fixed!),
      { target: { op: '<=', value: 0.999 }, details: { guarded: summary(on!), static: summary(fixed!) } },
    ),
    figure(
      'levers.no-reuse-guarded-vs-none',
      'input cost: guarded / none, on a workload without reuse (own prompts, turns over an hour apart)',
      ratios(lonely.get('guarded')!, lonely.get('none')!),
      {
        target: { op: '<=', value: 1.01 },
        details: { guarded: summary(lonely.get('guarded')!), none: summary(lonely.get('none')!) },
      },
    ),
    figure(
      'levers.nova-guarded-vs-none',
      'input cost: guarded / none (Nova Pro, agent workload)',
      ratios(nova.get('guarded')!, nova.get('none')!),
      {
        details: { guarded: summary(nova.get('guarded')!), none: summary(nova.get('none')!) },
      },
    ),
  ];
}

export const leversSection: BenchSection = {
  name: 'levers',
  description:
    'prompt-cache points: a seeded agent workload in simulated time, input cost with guarded points / none / a static point',
  run,
};

await runIfMain(import.meta, leversSection);
