import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json';
import { promptLayout } from '../invocation/prompt-layout';
import { promptCacheSupport } from '../models/prompt-cache-support';
import type { CacheRates } from './cache-point-guard';
import { guardCachePoints } from './cache-point-guard';
import { InMemoryPrefixHistory } from './in-memory-prefix-history';

const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'amazon.nova-pro-v1:0';
const CLAUDE_RATES: CacheRates = { input: 3, read: 0.3, write5m: 3.75, write1h: 6 };
const NOVA_RATES: CacheRates = { input: 0.8, read: 0.2, write5m: 0.8, write1h: 0.8 };
const MINUTE = 60_000;

/** Six letters: `i` in base 26. */
const word = (i: number): string => {
  let w = '';
  for (let n = i; w.length < 6; n = Math.floor(n / 26)) w += String.fromCharCode(97 + (n % 26));
  return w;
};
/** Prose of about `tokens` estimated tokens (two a word), distinct per `seed`. */
const prose = (tokens: number, seed: string): string =>
  [seed, ...Array.from({ length: Math.ceil(tokens / 2) }, (_, i) => word(i))].join(' ');

/** A Converse body of a conversation `turns` user turns long; its tools are as distinct as its system prompt. */
function body(system: string, turns: number, conversation = 'c'): JsonObject {
  const tools = [
    {
      toolSpec: {
        name: 'lookup',
        description: prose(600, system.slice(0, 4)),
        inputSchema: { json: { type: 'object' } },
      },
    },
  ];
  const messages: JsonObject[] = [];
  for (let t = 0; t < turns; t++) {
    if (t > 0) messages.push({ role: 'assistant', content: [{ text: prose(200, `${conversation}a${t}`) }] });
    messages.push({ role: 'user', content: [{ text: prose(300, `${conversation}u${t}`) }] });
  }
  return { toolConfig: { tools }, system: [{ text: system }], messages };
}

function guard(model = SONNET, rates = CLAUDE_RATES) {
  const history = new InMemoryPrefixHistory();
  let now = Date.parse('2026-11-29T10:00:00Z');
  const decide = async (b: JsonObject, tenantId = 'acme') => {
    const decision = await guardCachePoints({
      tenantId,
      layout: promptLayout(b, 'converse', model),
      support: promptCacheSupport(model)!,
      rates,
      history,
      nowMs: now,
    });
    await history.placed(tenantId, decision.placed);
    return decision.placements;
  };
  return { decide, advance: (ms: number) => (now += ms) };
}

describe(guardCachePoints, () => {
  it('places nothing for a workload whose prefixes never recur: a write that is never read costs more', async () => {
    const { decide, advance } = guard();
    for (let i = 0; i < 30; i++) {
      expect(await decide(body(prose(3000, `s${i}`), 1, `c${i}`))).toEqual([]);
      advance(MINUTE);
    }
  });

  it('places nothing for prefixes that recur only after their longest TTL', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    for (let i = 0; i < 10; i++) {
      expect(await decide(body(system, 1, `c${i}`))).toEqual([]);
      advance(61 * MINUTE);
    }
  });

  it('caches a system prompt shared by requests minutes apart for 5 minutes once it has recurred', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    expect(await decide(body(system, 1, 'c0'))).toEqual([]);
    advance(MINUTE);
    const second = await decide(body(system, 1, 'c1'));
    expect(second).toContainEqual({ section: 'system', index: 0, ttl: '5m' });
    expect(second.every((p) => p.ttl === '5m')).toBe(true);
  });

  it('chooses 1 hour, for the system prompt and the history, when conversations come back after more than 5 minutes', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    let last: Awaited<ReturnType<typeof decide>> = [];
    for (let turn = 1; turn <= 6; turn++) {
      for (let c = 0; c < 4; c++) {
        last = await decide(body(system, turn, `c${c}`));
        advance(4 * MINUTE); // each conversation's turns come 16 minutes apart
      }
    }
    // The tools (600 tokens) are under Sonnet's 1,024-token minimum; a turn adds less than that, so the history point
    // moves to the new end (Bedrock reads the end the turn before cached, up to 20 blocks back).
    expect(last).toEqual([
      { section: 'system', index: 0, ttl: '1h' },
      { section: 'messages', index: 10, ttl: '1h' },
    ]);
  });

  it('keeps the TTL a prefix is cached with on consecutive calls, never flipping 5m and 1h (each 1h write costs 2x input)', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    const ttls: string[] = [];
    for (let turn = 1; turn <= 8; turn++) {
      for (let c = 0; c < 3; c++) {
        // Three conversations a minute apart: the system prompt, cached at the first TTL chosen, is read by each call.
        for (const p of await decide(body(system, turn, `c${c}`))) ttls.push(`${p.section}:${p.ttl}`);
        advance(MINUTE);
      }
    }
    expect(ttls).toContain('system:5m');
    expect(new Set(ttls.map((t) => t.split(':')[1]))).toEqual(new Set(['5m']));
  });

  it('places a point where the turn before cached the history when the turn since adds enough for one more', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    const long = (turns: number): JsonObject => {
      const b = body(system, turns, 'long');
      const messages = (b['messages'] as JsonObject[]).map((m) => ({
        ...m,
        content: [{ text: prose(1200, JSON.stringify(m['content']).slice(9, 19)) }],
      }));
      return { ...b, messages };
    };
    for (let turn = 1; turn <= 3; turn++) {
      for (let c = 0; c < 2; c++) {
        await decide(body(system, turn, `warm${c}`));
        advance(5 * MINUTE);
      }
    }
    await decide(long(1));
    advance(10 * MINUTE);
    await decide(long(2));
    advance(10 * MINUTE);
    expect(await decide(long(3))).toEqual([
      { section: 'system', index: 0, ttl: '1h' },
      { section: 'messages', index: 2, ttl: '1h' },
      { section: 'messages', index: 4, ttl: '1h' },
    ]);
  });

  it('never places a point with fewer than the model minimum tokens since the one before', async () => {
    const { decide, advance } = guard('anthropic.claude-haiku-4-5-20251001-v1:0'); // 4,096 a checkpoint
    const system = prose(3000, 's'); // tools + system: about 3,600 tokens, under the minimum
    for (let i = 0; i < 5; i++) {
      const placements = await decide(body(system, 1, `c${i}`));
      expect(placements.filter((p) => p.section !== 'messages')).toEqual([]);
      advance(MINUTE);
    }
  });

  it('keeps within the checkpoints the model allows, counting and ordering around the caller own points', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    const mine = (b: JsonObject): JsonObject => ({
      ...b,
      system: [...(b['system'] as JsonObject[]), { cachePoint: { type: 'default' } }], // 5 minutes
    });
    await decide(mine(body(system, 1, 'x')));
    let placements: Awaited<ReturnType<typeof decide>> = [];
    for (let turn = 1; turn <= 4; turn++) {
      placements = await decide(mine(body(system, turn, 'x')));
      advance(10 * MINUTE);
    }
    expect(placements.some((p) => p.section === 'system')).toBe(false);
    expect(placements.length).toBeLessThanOrEqual(3);
    // After the caller's 5-minute point nothing may be kept longer.
    expect(placements.filter((p) => p.section === 'messages').every((p) => p.ttl === '5m')).toBe(true);
  });

  it('on Nova, whose writes cost no more than input, caches any recurring prefix, never in tools', async () => {
    const { decide, advance } = guard(NOVA, NOVA_RATES);
    const system = prose(3000, 's');
    await decide(body(system, 1, 'c0'));
    advance(MINUTE);
    const placements = await decide(body(system, 1, 'c1'));
    expect(placements).toContainEqual({ section: 'system', index: 0, ttl: '5m' });
    expect(placements.some((p) => p.section === 'tools')).toBe(false);
  });

  it('keeps tenants apart', async () => {
    const { decide, advance } = guard();
    const system = prose(3000, 's');
    await decide(body(system, 1, 'c0'), 'acme');
    advance(MINUTE);
    expect(await decide(body(system, 1, 'c1'), 'globex')).toEqual([]);
  });
});
