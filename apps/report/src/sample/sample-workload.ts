import { seededDice } from '@nova-cost/bedrock-local';

/**
 * A synthetic week of Bedrock traffic of a small shop, as invocation log records, from a seeded generator (the
 * same seed gives the same records): five services with their own models, operations and repetition.
 * - checkout-api: FAQ answers on Nova Lite (Converse, temperature 0, one long system prompt, Zipf-repeated
 *   questions, and pods that send the same question at the same moment);
 * - support-bot: Claude 3.5 Haiku through InvokeModel: replies at temperature 0.7, ticket triage at temperature 0;
 * - search-indexer: Titan embeddings of a catalogue re-indexed again and again;
 * - nightly-summaries: short reports on Nova Pro, at night;
 * - agent: Claude Haiku 4.5 through ConverseStream with a long cached system prompt, temperature 1.
 * About 0.5% of calls fail (throttled) and a few carry bodies too large to log inline.
 */
export interface SampleOptions {
  /** @default 20000 */
  readonly records?: number;
  /** @default 7 */
  readonly days?: number;
  /** @default 20 */
  readonly seed?: number;
  /** @default 2026-03-02T00:00:00Z (a Monday) */
  readonly start?: Date;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const ACTIONS = [
  'return',
  'track',
  'cancel',
  'change the address of',
  'pay for',
  'split',
  'gift-wrap',
  'reorder',
  'rate',
  'get an invoice for',
];
const THINGS = [
  'my order',
  'a subscription',
  'a pre-order',
  'an item on sale',
  'a bundle',
  'a gift card purchase',
  'a damaged parcel',
  'a late delivery',
  'an order from abroad',
  'a marketplace order',
];
const WHEN = [
  '',
  ' after 30 days',
  ' today',
  ' without an account',
  ' from the app',
  ' by phone',
  ' twice',
  ' in another currency',
];
const POLICY = Array.from(
  { length: 24 },
  (_, i) =>
    `Rule ${i + 1}: answer as the shop's assistant; cite the policy section, never invent a price, keep answers under 120 words, and hand over to a person for refunds above 200 EUR or any legal question.`,
).join(' ');
const AGENT_SYSTEM = Array.from(
  { length: 40 },
  (_, i) =>
    `Tool guide ${i + 1}: use search_orders for order questions, update_ticket to record what you did, and escalate when unsure.`,
).join(' ');
const TOPICS = ['inventory', 'returns', 'delivery delays', 'payments', 'marketing spend', 'support backlog'];

type Dice = () => number;

function zipf(dice: Dice, n: number, s = 1.1): number {
  // Inverse-CDF over a small table is plenty for a sample; tables are cached per n.
  let cdf = CDFS.get(n);
  if (!cdf) {
    const w = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
    const total = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    cdf = w.map((x) => (acc += x / total));
    CDFS.set(n, cdf);
  }
  const u = dice();
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const CDFS = new Map<number, number[]>();

const pick = <T>(dice: Dice, items: readonly T[]): T => items[Math.floor(dice() * items.length)]!;
const between = (dice: Dice, lo: number, hi: number): number => Math.round(lo + dice() * (hi - lo));
const tokens = (text: string): number => Math.ceil(text.length / 4);

function question(i: number): string {
  return `How do I ${ACTIONS[i % ACTIONS.length]} ${THINGS[Math.floor(i / ACTIONS.length) % THINGS.length]}${WHEN[Math.floor(i / 100) % WHEN.length]}?`;
}

interface Call {
  readonly role: string;
  readonly operation: string;
  readonly modelId: string;
  readonly body: Record<string, unknown>;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheRead?: number;
  readonly latencyMs: number;
  readonly output: unknown;
  /** Pods sending the same request at the same moment. */
  readonly echoes: number;
}

const converseAnswer = (text: string, inTok: number, outTok: number, latencyMs: number, stop = 'end_turn') => ({
  output: { message: { role: 'assistant', content: [{ text }] } },
  stopReason: stop,
  metrics: { latencyMs },
  usage: { inputTokens: inTok, outputTokens: outTok, totalTokens: inTok + outTok },
});

function checkout(d: Dice): Call {
  const q = question(zipf(d, 800));
  const inTok = tokens(POLICY) + tokens(q);
  const out = between(d, 60, 180);
  const latency = between(d, 500, 1400);
  const body = {
    system: [{ text: POLICY }],
    messages: [{ role: 'user', content: [{ text: q }] }],
    inferenceConfig: { maxTokens: 400, temperature: 0 },
  };
  return {
    role: 'checkout-api',
    operation: 'Converse',
    modelId: 'amazon.nova-lite-v1:0',
    body,
    inputTokens: inTok,
    outputTokens: out,
    latencyMs: latency,
    output: converseAnswer('See section 4.2 of our returns policy.', inTok, out, latency),
    echoes: d() < 0.04 ? between(d, 1, 3) : 0,
  };
}

function support(d: Dice): Call {
  const triage = d() < 0.45;
  const ticket = triage
    ? `Ticket template ${zipf(d, 150)}: customer reports a problem with ${pick(d, THINGS)}.`
    : `Customer ${between(d, 1, 1e6)} writes: ${question(between(d, 0, 799))} Order ${between(d, 1e5, 1e6)}.`;
  const inTok = 180 + tokens(ticket);
  const out = triage ? between(d, 3, 12) : between(d, 120, 450);
  const body = {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: triage ? 20 : 800,
    temperature: triage ? 0 : 0.7,
    system: 'You are the support team of an online shop.',
    messages: [{ role: 'user', content: ticket }],
  };
  const output = {
    id: 'msg_bdrk_sample',
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text: triage ? 'billing' : 'Thanks for reaching out…' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: inTok, output_tokens: out },
  };
  return {
    role: 'support-bot',
    operation: 'InvokeModel',
    modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    body,
    inputTokens: inTok,
    outputTokens: out,
    latencyMs: 300 + out * 14,
    output,
    echoes: 0,
  };
}

function indexer(d: Dice): Call {
  const doc = zipf(d, 3000, 0.9);
  const text = `Product ${doc}: ${pick(d, ['red', 'blue', 'black'])} ${THINGS[doc % THINGS.length]} with free returns, size ${doc % 13}, material ${['cotton', 'wool', 'steel'][doc % 3]}. ${'Detail. '.repeat(doc % 40)}`;
  const inTok = tokens(text);
  return {
    role: 'search-indexer',
    operation: 'InvokeModel',
    modelId: 'amazon.titan-embed-text-v2:0',
    body: { inputText: text, dimensions: 512, normalize: true },
    inputTokens: inTok,
    outputTokens: 0,
    latencyMs: between(d, 40, 120),
    output: { embedding: [0.012, -0.034, 0.056], inputTextTokenCount: inTok },
    echoes: 0,
  };
}

function nightly(d: Dice, day: number): Call {
  const text = `Summarise yesterday's ${pick(d, TOPICS)} figures for store ${between(d, 1, 40)} (day ${day}) in five bullet points.`;
  const inTok = 90 + tokens(text);
  const out = between(d, 150, 350);
  const latency = between(d, 1500, 4000);
  const body = {
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { maxTokens: 500, temperature: 0.2 },
  };
  return {
    role: 'nightly-summaries',
    operation: 'Converse',
    modelId: 'amazon.nova-pro-v1:0',
    body,
    inputTokens: inTok,
    outputTokens: out,
    latencyMs: latency,
    output: converseAnswer('• Sales up 3%…', inTok, out, latency),
    echoes: 0,
  };
}

function agent(d: Dice): Call {
  const text = `Customer ${between(d, 1, 1e6)} asks: ${question(between(d, 0, 799))}`;
  const cached = tokens(AGENT_SYSTEM);
  const inTok = 40 + tokens(text);
  const out = between(d, 80, 600);
  const latency = 400 + out * 9;
  const body = {
    system: [{ text: AGENT_SYSTEM }, { cachePoint: { type: 'default' } }],
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { maxTokens: 1000, temperature: 1 },
  };
  const output = [
    { messageStart: { role: 'assistant' } },
    { contentBlockDelta: { delta: { text: 'Let me look that up.' }, contentBlockIndex: 0 } },
    { messageStop: { stopReason: 'end_turn' } },
    {
      metadata: {
        usage: {
          inputTokens: inTok,
          outputTokens: out,
          cacheReadInputTokens: cached,
          totalTokens: inTok + out + cached,
        },
        metrics: { latencyMs: latency },
      },
    },
  ];
  return {
    role: 'agent',
    operation: 'ConverseStream',
    modelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
    body,
    inputTokens: inTok,
    outputTokens: out,
    cacheRead: cached,
    latencyMs: latency,
    output,
    echoes: 0,
  };
}

/** Share of traffic by hour of day (UTC): business hours, a quiet night, and the nightly jobs. */
function hourWeight(hour: number): number {
  return hour >= 8 && hour <= 19 ? 1 : hour >= 1 && hour <= 4 ? 0.55 : 0.25;
}

function record(call: Call, at: number, n: number, d: Dice): Record<string, unknown> {
  const id = `${((n * 2654435761) >>> 0).toString(16).padStart(8, '0')}-${n.toString(16).padStart(4, '0')}-4000-8000-${(n * 40503).toString(16).padStart(12, '0').slice(-12)}`;
  const base = {
    schemaType: 'ModelInvocationLog',
    schemaVersion: '1.0',
    timestamp: new Date(at).toISOString(),
    accountId: ACCOUNT,
    identity: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${call.role}/pod-${between(d, 1, 6)}` },
    region: REGION,
    requestId: id,
    operation: call.operation,
    modelId: call.modelId,
  };
  if (d() < 0.005)
    return {
      ...base,
      errorCode: 'ThrottlingException',
      input: { inputContentType: 'application/json', inputBodyJson: call.body },
    };
  const large = d() < 0.002;
  return {
    ...base,
    input: {
      inputContentType: 'application/json',
      ...(large
        ? {
            inputBodyS3Path: `s3://shop-bedrock-logs/AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/${REGION}/data/${id}_input.json.gz`,
          }
        : { inputBodyJson: call.body }),
      inputTokenCount: large ? call.inputTokens + 30_000 : call.inputTokens,
      ...(call.cacheRead ? { cacheReadInputTokenCount: call.cacheRead } : {}),
    },
    output: { outputContentType: 'application/json', outputBodyJson: call.output, outputTokenCount: call.outputTokens },
  };
}

/** The sample's records in time order (echoes a few hundred ms apart may interleave, as in real logs). */
export function* sampleRecords(options: SampleOptions = {}): Generator<Record<string, unknown>> {
  const count = options.records ?? 20_000;
  const days = options.days ?? 7;
  const start = (options.start ?? new Date('2026-03-02T00:00:00Z')).getTime();
  const d = seededDice(options.seed ?? 20);
  const hours = days * 24;
  const weights = Array.from({ length: hours }, (_, h) => hourWeight(h % 24) * (Math.floor(h / 24) % 7 >= 5 ? 0.5 : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let n = 0;
  for (let h = 0; h < hours && n < count; h++) {
    const inHour = h === hours - 1 ? count - n : Math.min(count - n, Math.round((weights[h]! / total) * count));
    const offsets = Array.from({ length: inHour }, () => Math.floor(d() * 3_600_000)).sort((a, b) => a - b);
    const hourOfDay = h % 24;
    for (const offset of offsets) {
      if (n >= count) return;
      const u = d();
      const night = hourOfDay >= 1 && hourOfDay <= 4;
      const call =
        night && u < 0.35
          ? nightly(d, Math.floor(h / 24))
          : u < 0.38
            ? checkout(d)
            : u < 0.6
              ? support(d)
              : u < 0.85
                ? indexer(d)
                : agent(d);
      const at = start + h * 3_600_000 + offset;
      yield record(call, at, n++, d);
      for (let e = 0; e < call.echoes && n < count; e++) yield record(call, at + between(d, 20, 400), n++, d);
    }
  }
}
