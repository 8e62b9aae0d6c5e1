import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import type { CostPolicyRules } from '../policy/cost-policy.rules';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import type { BidirectionalModelStreams, BidirectionalStreamRequest } from './bidirectional-stream.port';
import { usageEventOf } from './relayed-session';
import type { SessionTimers } from './session-timers';
import { SpeechSessionRelay } from './speech-session-relay.service';
import { SpeechSessions } from './speech-sessions.service';

const SONIC = 'amazon.nova-sonic-v1:0';
const at = new Date('2026-11-28T10:00:00Z');
const bytes = (event: object): Uint8Array => new TextEncoder().encode(JSON.stringify({ event }));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const usage = (speechOut: number) =>
  bytes({
    usageEvent: {
      details: {
        delta: { input: { speechTokens: 0, textTokens: 0 }, output: { speechTokens: speechOut, textTokens: 0 } },
      },
    },
  });
const audio = bytes({ audioOutput: { content: 'AAAA' } });

/** An async queue: what is pushed is read in order; `pulls` counts the reads asked for. */
class Channel<T> implements AsyncIterable<T> {
  pulls = 0;
  private readonly items: T[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  push(...items: T[]): void {
    this.items.push(...items);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  fail(error: unknown): void {
    this.failure = error;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      this.pulls += 1;
      while (this.items.length === 0 && !this.ended && this.failure === undefined)
        await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.items.length > 0) yield this.items.shift()!;
      else if (this.failure !== undefined) throw this.failure;
      else return;
    }
  }
}

/** A model that resolves open() at its first event, reads its input into `heard`, and is told when it is cut. */
class FakeModel implements BidirectionalModelStreams {
  readonly output = new Channel<Uint8Array>();
  readonly heard: string[] = [];
  inputEnded = false;
  request: BidirectionalStreamRequest | undefined;
  refusal: NovaCostError | undefined;

  async open(request: BidirectionalStreamRequest): Promise<AsyncIterable<Uint8Array>> {
    this.request = request;
    void (async () => {
      for await (const event of request.input) this.heard.push(text(event));
      this.inputEnded = true;
    })().catch(() => undefined);
    if (this.refusal) throw this.refusal;
    const aborted = new Promise<never>((_, reject) =>
      request.signal.addEventListener('abort', () => reject(request.signal.reason as Error), { once: true }),
    );
    aborted.catch(() => undefined);
    const events = this.output[Symbol.asyncIterator]();
    const first = await Promise.race([events.next(), aborted]);
    return {
      async *[Symbol.asyncIterator]() {
        if (!first.done) yield first.value;
        for (;;) {
          const next = await Promise.race([events.next(), aborted]);
          if (next.done) return;
          yield next.value;
        }
      },
    };
  }
}

/** Time that moves only when the spec says. */
class ManualTimers implements SessionTimers {
  private at = 0;
  private pending: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.at;
  }
  schedule(ms: number, fn: () => void): () => void {
    const entry = { at: this.at + ms, fn };
    this.pending.push(entry);
    return () => (this.pending = this.pending.filter((p) => p !== entry));
  }
  advance(ms: number): void {
    this.at += ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= this.at).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.pending = this.pending.filter((p) => p !== due);
      due.fn();
    }
  }
}

/** Output that collects what it is sent; `hold()` keeps the next sends waiting until released. */
class Collector {
  readonly sent: string[] = [];
  private gate: Promise<void> | undefined;
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }
  send = async (event: Uint8Array): Promise<void> => {
    this.sent.push(text(event));
    await this.gate;
  };
}

function setup(rules: CostPolicyRules = {}) {
  const pricing = new StaticPricingCatalog();
  const ledger = new InMemorySpendLedger();
  const clock = { now: () => at };
  const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock });
  const sessions = new SpeechSessions({ rules, budget: policy, pricing, ledger, clock });
  const model = new FakeModel();
  const timers = new ManualTimers();
  const relay = new SpeechSessionRelay({ sessions, streams: model, timers });
  const input = new Channel<Uint8Array>();
  const spent = async () => (await ledger.totals({ tenantId: 'acme' })).total;
  return { relay, sessions, model, timers, input, spent };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(SpeechSessionRelay, () => {
  describe('.open and .run', () => {
    it("relays both ways, meters the model's usageEvents and records the session once the model ends it", async () => {
      const { relay, model, input, spent, sessions } = setup();
      input.push(bytes({ sessionStart: {} }));
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      expect(model.request?.modelId).toBe(SONIC);
      const out = new Collector();
      const running = session.run(out);
      model.output.push(audio, usage(1000));
      input.push(bytes({ sessionEnd: {} }));
      input.end();
      model.output.end();
      const outcome = await running;
      expect(outcome).toMatchObject({ reason: 'completed', eventsOut: 3, eventsIn: 2 });
      expect(outcome.error).toBeUndefined();
      expect(out.sent.map((e) => Object.keys(JSON.parse(e).event)[0])).toEqual([
        'completionStart',
        'audioOutput',
        'usageEvent',
      ]);
      expect(model.heard).toEqual(['{"event":{"sessionStart":{}}}', '{"event":{"sessionEnd":{}}}']);
      expect(model.request?.signal.aborted).toBe(false);
      // 1000 speech tokens out at $13.6 per million.
      expect(outcome.summary.costUsd).toBeCloseTo(0.0136, 12);
      expect(await spent()).toMatchObject({ calls: 1 });
      expect((await spent()).costUsd).toBeCloseTo(0.0136, 12);
      expect(sessions.openSessions).toBe(0);
      expect(relay.liveSessions).toBe(0);
    });

    it('holds one event at a time: the next is read from the model only once the client took the last', async () => {
      const { relay, model, input } = setup();
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const out = new Collector();
      const release = out.hold();
      const running = session.run(out);
      model.output.push(audio, audio, audio);
      await tick();
      expect(out.sent).toHaveLength(1);
      const pulled = model.output.pulls;
      await tick();
      expect(model.output.pulls).toBe(pulled);
      release();
      model.output.end();
      expect((await running).eventsOut).toBe(4);
    });

    it('ends a session whose usage the budget has no room for, records what it used, and cuts the model', async () => {
      // Held: 10 s × 10 speech tokens a second out = 100 tokens ($0.00136); the budget has room for one hold only.
      const { relay, model, input, spent } = setup({
        budgets: { default: { dailyUsd: 0.002 } },
        sessions: {
          default: {
            maxSeconds: 10,
            worstCaseTokensPerSecond: { speechInput: 0, speechOutput: 10, textInput: 0, textOutput: 0 },
          },
        },
      });
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const out = new Collector();
      const running = session.run(out);
      model.output.push(usage(60), usage(60), audio);
      const outcome = await running;
      expect(outcome.reason).toBe('budget');
      expect(NovaCostError.is(outcome.error, 'budget-exceeded')).toBe(true);
      expect(outcome.error?.message).toMatch(/used the \$0.0014 held for it and tenant acme's budget has no room/);
      expect(out.sent).toHaveLength(3); // the usageEvent that went past the budget reached the client
      expect(model.request?.signal.aborted).toBe(true);
      expect((await spent()).costUsd).toBeCloseTo((120 * 13.6) / 1e6, 12);
    });

    it('ends a session in which nothing passed for idleSeconds, and not one in which events kept passing', async () => {
      const { relay, model, input, timers } = setup({ sessions: { default: { idleSeconds: 10 } } });
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const running = session.run(new Collector());
      for (let i = 0; i < 5; i++) {
        timers.advance(6_000);
        input.push(bytes({ audioInput: { content: 'AAAA' } }));
        await tick();
      }
      expect(session.endReason).toBeUndefined();
      timers.advance(10_000);
      const outcome = await running;
      expect(outcome.reason).toBe('idle');
      expect(outcome.error?.message).toBe('no event passed either way in the session for 10 s (sessions.idleSeconds)');
      expect(NovaCostError.is(outcome.error, 'timeout')).toBe(true);
      expect(model.request?.signal.aborted).toBe(true);
    });

    it('ends a session at maxSeconds however busy it is', async () => {
      const { relay, model, input, timers } = setup({ sessions: { default: { maxSeconds: 30, idleSeconds: 10 } } });
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const running = session.run(new Collector());
      for (let i = 0; i < 6; i++) {
        timers.advance(5_000);
        model.output.push(audio);
        await tick();
      }
      const outcome = await running;
      expect(outcome.reason).toBe('max-duration');
      expect(outcome.error?.message).toMatch(/longest its policy allows, 30 s \(sessions.maxSeconds\)/);
    });

    it('ends the session and cuts the model when the client leaves', async () => {
      const { relay, model, input, sessions } = setup();
      const gone = new AbortController();
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input, { signal: gone.signal });
      const running = session.run(new Collector());
      gone.abort();
      expect((await running).reason).toBe('client-left');
      expect(model.request?.signal.aborted).toBe(true);
      expect(sessions.openSessions).toBe(0);
    });

    it('ends the session with the error of a client whose input cannot be read', async () => {
      const { relay, model, input } = setup();
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const running = session.run(new Collector());
      input.fail(new NovaCostError('validation', 'malformed event stream'));
      const outcome = await running;
      expect(outcome).toMatchObject({ reason: 'client-error', error: { message: 'malformed event stream' } });
      expect(model.request?.signal.aborted).toBe(true);
    });

    it("passes on the model's failure mid-session", async () => {
      const { relay, model, input } = setup();
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const running = session.run(new Collector());
      const broken = new NovaCostError('upstream-unavailable', 'boom', {
        upstream: { name: 'ModelStreamErrorException' },
      });
      model.output.fail(broken);
      expect(await running).toMatchObject({ reason: 'upstream-error', error: broken });
    });

    it('rejects with the refusal of a model that does not start the session, settled', async () => {
      const { relay, model, input, sessions, spent } = setup();
      model.refusal = new NovaCostError('validation', 'no such model', {
        upstream: { name: 'ValidationException', status: 400 },
      });
      await expect(relay.open('acme', SONIC, input)).rejects.toBe(model.refusal);
      expect(sessions.openSessions).toBe(0);
      expect(relay.liveSessions).toBe(0);
      expect((await spent()).costUsd).toBe(0);
    });

    it('rejects when the session goes idle before the model answered', async () => {
      const { relay, input, timers } = setup({ sessions: { default: { idleSeconds: 5 } } });
      const opening = relay.open('acme', SONIC, input);
      await tick();
      timers.advance(5_000);
      await expect(opening).rejects.toThrow(/no event passed either way in the session for 5 s/);
    });

    it("refuses past the tenant's cap before calling the model", async () => {
      const { relay, model, input } = setup({ sessions: { default: { maxConcurrent: 1 } } });
      model.output.push(bytes({ completionStart: {} }));
      await relay.open('acme', SONIC, input);
      model.request = undefined;
      await expect(relay.open('acme', SONIC, new Channel())).rejects.toThrow(/sessions.maxConcurrent 1/);
      expect(model.request).toBeUndefined();
    });
  });

  describe('.endAll', () => {
    it('ends every live session with the error given and resolves once each is recorded', async () => {
      const { relay, model, input, spent } = setup();
      model.output.push(bytes({ completionStart: {} }));
      const session = await relay.open('acme', SONIC, input);
      const running = session.run(new Collector());
      await relay.endAll(new NovaCostError('shutting-down', 'the gateway is shutting down'));
      expect(await spent()).toMatchObject({ calls: 1 });
      expect(relay.liveSessions).toBe(0);
      expect(await running).toMatchObject({ reason: 'shutting-down', error: { kind: 'shutting-down' } });
    });
  });
});

describe(usageEventOf, () => {
  it("reads a usageEvent's payload and nothing else, even text that names one", () => {
    expect(usageEventOf(usage(5))).toMatchObject({ details: { delta: { output: { speechTokens: 5 } } } });
    expect(usageEventOf(audio)).toBeUndefined();
    expect(usageEventOf(bytes({ textOutput: { content: 'a "usageEvent" said' } }))).toBeUndefined();
    expect(usageEventOf(new TextEncoder().encode('{"usageEvent" not json'))).toBeUndefined();
  });
});
