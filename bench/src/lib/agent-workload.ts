import { seededDice } from '@nova-cost/bedrock-local';

/** One user turn of a conversation, at a simulated time. */
export interface AgentTurn {
  readonly conversation: number;
  readonly turn: number;
  /** ms since the workload's start. */
  readonly atMs: number;
  readonly text: string;
}

/** A conversation's system prompt and the tool specs (Converse `toolSpec`s) it offers. */
export interface AgentPrompt {
  readonly system: string;
  readonly tools: readonly Record<string, unknown>[];
}

export interface AgentWorkload {
  /** Each conversation's prompt: one shared by all, unless the prompts are distinct. */
  readonly prompts: readonly AgentPrompt[];
  /** Every user turn of every conversation, in time order. */
  readonly turns: readonly AgentTurn[];
}

export interface AgentWorkloadOptions {
  readonly seed: number;
  /** @default 50 */
  readonly conversations?: number;
  /** @default 10 */
  readonly turnsPerConversation?: number;
  /** Tokens of the shared system prompt, at the local endpoint's 4 characters a token. @default 3000 */
  readonly systemTokens?: number;
  /** Shortest and longest gap between a conversation's turns. @default 30 s and 20 min */
  readonly gapMs?: readonly [number, number];
  /** Conversations start spread over this long. @default 2 hours */
  readonly startSpreadMs?: number;
  /** Each conversation its own system prompt and tools: nothing recurs across conversations. @default false */
  readonly distinctPrompts?: boolean;
}

const WORDS = [
  'ledger',
  'invoice',
  'account',
  'balance',
  'vendor',
  'payment',
  'journal',
  'accrual',
  'reconcile',
  'statement',
  'quarter',
  'forecast',
  'budget',
  'expense',
  'revenue',
  'margin',
  'audit',
  'policy',
  'approval',
  'currency',
];

function prose(dice: () => number, tokens: number, tag: string): string {
  const out: string[] = [tag];
  let chars = tag.length;
  while (chars < tokens * 4) {
    const word = WORDS[Math.floor(dice() * WORDS.length)]!;
    out.push(word);
    chars += word.length + 1;
  }
  return out.join(' ');
}

/**
 * A seeded agent workload: conversations with a shared system prompt and tools, each a chain of user turns whose
 * gaps are drawn between the shortest and longest gap (uniformly in log scale: as many short pauses as long ones),
 * the conversations starting spread over a window. The same seed gives the same workload.
 */
export function agentWorkload(options: AgentWorkloadOptions): AgentWorkload {
  const dice = seededDice(options.seed);
  const conversations = options.conversations ?? 50;
  const turnsPer = options.turnsPerConversation ?? 10;
  const [minGap, maxGap] = options.gapMs ?? [30_000, 20 * 60_000];
  const spread = options.startSpreadMs ?? 2 * 60 * 60_000;
  const prompt = (tag: string): AgentPrompt => ({
    system: prose(dice, options.systemTokens ?? 3000, `system ${tag}:`),
    tools: ['find_invoice', 'post_journal', 'convert_currency'].map((name) => ({
      toolSpec: {
        name: `${name}_${tag}`,
        description: prose(dice, 120, `${name}:`),
        inputSchema: { json: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      },
    })),
  });
  const shared = prompt('shared');
  const prompts: AgentPrompt[] = [];
  const turns: AgentTurn[] = [];
  for (let c = 0; c < conversations; c++) {
    prompts.push(options.distinctPrompts ? prompt(`c${c}`) : shared);
    let at = dice() * spread;
    for (let t = 0; t < turnsPer; t++) {
      turns.push({
        conversation: c,
        turn: t,
        atMs: Math.round(at),
        text: prose(dice, 60 + dice() * 200, `turn ${t}:`),
      });
      at += minGap * Math.exp(dice() * Math.log(maxGap / minGap));
    }
  }
  turns.sort((a, b) => a.atMs - b.atMs || a.conversation - b.conversation);
  return { prompts, turns };
}
