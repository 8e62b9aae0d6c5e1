import { describe, expect, it } from 'vitest';
import type { PromptPart } from './prompt';
import { PromptCaching } from './prompt-caching';
import { WireError } from './wire-error';

const CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0'; // 1,024 tokens a checkpoint, 5m and 1h
const NOVA = 'amazon.nova-lite-v1:0'; // 1,000 tokens, 5m only, none in tools, at most 32K cached

/** Text of about `tokens` tokens (4 characters each), distinct per `tag`. */
const text = (tokens: number, tag = 'a'): string => `${tag}:`.padEnd(tokens * 4, tag);
const part = (section: PromptPart['section'], tokens: number, tag?: string): PromptPart => ({
  section,
  text: text(tokens, tag),
});
const point = (section: PromptPart['section'], ttl?: string): PromptPart => ({ section, cachePoint: { ttl } });

function setup() {
  let now = 0;
  const caching = new PromptCaching(() => now);
  return { caching, advance: (ms: number) => (now += ms) };
}

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return `${e.type}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe(PromptCaching, () => {
  describe('.measure', () => {
    it('writes the prefix up to a cache point the first time and reads it afterwards, the rest billed plainly', () => {
      const { caching } = setup();
      const prompt = [part('system', 2000), point('system'), part('messages', 50, 'q')];
      const first = caching.measure(CLAUDE, prompt);
      expect(first).toMatchObject({ cacheReadInputTokens: 0, cacheWrite1hInputTokens: 0 });
      expect(first.cacheWriteInputTokens).toBeGreaterThanOrEqual(2000);
      const second = caching.measure(CLAUDE, prompt);
      expect(second.cacheReadInputTokens).toBe(first.cacheWriteInputTokens);
      expect(second.cacheWriteInputTokens).toBe(0);
      expect(second.inputTokens).toBe(first.inputTokens);
    });

    it('keeps caches apart per model and per prefix', () => {
      const { caching } = setup();
      caching.measure(CLAUDE, [part('system', 2000), point('system')]);
      expect(caching.measure(NOVA, [part('system', 2000), point('system')]).cacheReadInputTokens).toBe(0);
      expect(caching.measure(CLAUDE, [part('system', 2000, 'b'), point('system')]).cacheReadInputTokens).toBe(0);
    });

    it('caches nothing at a cache point with fewer tokens than the model minimum since the one before', () => {
      const { caching } = setup();
      const short = [part('system', 900), point('system'), part('messages', 10)];
      expect(caching.measure(CLAUDE, short)).toMatchObject({ cacheWriteInputTokens: 0, cacheReadInputTokens: 0 });
      // The second point is 600 tokens after the first: only the first is honoured.
      const two = [part('system', 1100), point('system'), part('messages', 600), point('messages')];
      const written = caching.measure(CLAUDE, two).cacheWriteInputTokens;
      expect(written).toBeGreaterThanOrEqual(1100);
      expect(written).toBeLessThan(1700);
    });

    it('expires a prefix its TTL after its last use, renewing it at each read (injected clock)', () => {
      const { caching, advance } = setup();
      const prompt = [part('system', 2000), point('system')];
      caching.measure(CLAUDE, prompt);
      advance(4 * 60_000);
      expect(caching.measure(CLAUDE, prompt).cacheReadInputTokens).toBeGreaterThan(0);
      advance(4 * 60_000); // 8 minutes after the write, 4 after the read
      expect(caching.measure(CLAUDE, prompt).cacheReadInputTokens).toBeGreaterThan(0);
      advance(5 * 60_000 + 1);
      expect(caching.measure(CLAUDE, prompt)).toMatchObject({ cacheReadInputTokens: 0 });
    });

    it('keeps a 1h prefix an hour, and splits the writes by TTL', () => {
      const { caching, advance } = setup();
      const prompt = [part('tools', 1500), point('tools', '1h'), part('system', 1500), point('system', '5m')];
      const first = caching.measure(CLAUDE, prompt);
      expect(first.cacheWrite1hInputTokens).toBeGreaterThanOrEqual(1500);
      expect(first.cacheWriteInputTokens - first.cacheWrite1hInputTokens).toBeGreaterThanOrEqual(1500);
      advance(30 * 60_000);
      const later = caching.measure(CLAUDE, prompt);
      // The 5m system segment expired; the 1h tools prefix is read and the system segment written again.
      expect(later.cacheReadInputTokens).toBe(first.cacheWrite1hInputTokens);
      expect(later.cacheWriteInputTokens).toBe(first.cacheWriteInputTokens - first.cacheWrite1hInputTokens);
      expect(later.cacheWrite1hInputTokens).toBe(0);
    });

    it('reads a prefix cached at an earlier boundary up to 20 parts before a cache point (a conversation grows)', () => {
      const { caching } = setup();
      const turn1 = [part('system', 1200), part('messages', 300, 'u1'), point('messages')];
      caching.measure(CLAUDE, turn1);
      const turn2 = [
        ...turn1.slice(0, 2),
        part('messages', 300, 'a1'),
        part('messages', 1100, 'u2'),
        point('messages'),
      ];
      const second = caching.measure(CLAUDE, turn2);
      expect(second.cacheReadInputTokens).toBeGreaterThanOrEqual(1500);
      expect(second.cacheWriteInputTokens).toBeGreaterThanOrEqual(1400);
    });

    it('caches no Nova prefix longer than 32K tokens', () => {
      const { caching } = setup();
      const long = [part('system', 33_000), point('system')];
      expect(caching.measure(NOVA, long).cacheWriteInputTokens).toBe(0);
    });
  });

  describe('refusing placements as Bedrock does', () => {
    it.each<[string, string, PromptPart[], RegExp]>([
      [
        'more than 4 cache points',
        CLAUDE,
        [part('system', 10), ...Array(5).fill(point('system'))],
        /at most 4 cachePoint/,
      ],
      [
        'a cache point in Nova tools',
        NOVA,
        [part('tools', 10), point('tools')],
        /does not support a cachePoint in tools/,
      ],
      ['a 1h TTL on Nova', NOVA, [part('system', 10), point('system', '1h')], /ttl "1h" is not supported/],
      [
        'a TTL that grows',
        CLAUDE,
        [part('tools', 10), point('tools', '5m'), part('system', 10), point('system', '1h')],
        /must not increase/,
      ],
      [
        'a model that caches nothing',
        'anthropic.claude-3-haiku-20240307-v1:0',
        [part('system', 10), point('system')],
        /does not support prompt caching/,
      ],
    ])('refuses %s with a ValidationException naming the cachePoint', (_name, model, prompt, message) => {
      expect(refusal(() => setup().caching.measure(model, prompt))).toMatch(/^ValidationException: .*/);
      expect(refusal(() => setup().caching.measure(model, prompt))).toMatch(message);
    });

    it('refuses the placements it is told to refuse (configure promptCaching.refuse), and no others', () => {
      const { caching } = setup();
      caching.configure({ refuse: [{ models: [CLAUDE], sections: ['messages'] }] });
      expect(refusal(() => caching.measure(CLAUDE, [part('messages', 10), point('messages')]))).toMatch(
        /cachePoint in messages/,
      );
      expect(() => caching.measure(CLAUDE, [part('system', 10), point('system')])).not.toThrow();
      caching.configure({ refuse: null });
      expect(() => caching.measure(CLAUDE, [part('messages', 10), point('messages')])).not.toThrow();
    });
  });
});
