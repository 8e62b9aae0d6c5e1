import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { UsageEventMeter, speechCostOf } from './speech-usage';

const pricing = new StaticPricingCatalog();
const sonic = pricing.price({ modelId: 'amazon.nova-sonic-v1:0', region: 'us-east-1' });
const event = (delta?: object, total?: object) => ({
  details: { ...(delta ? { delta } : {}), ...(total ? { total } : {}) },
});
const side = (speechTokens: number, textTokens: number) => ({ speechTokens, textTokens });

describe(speechCostOf, () => {
  it('prices speech and text tokens apart, each at its own rate', () => {
    // 1000 of each: text 0.06 in, 0.24 out; speech 3.4 in, 13.6 out (USD per 1M).
    const usage = { speechInputTokens: 1000, textInputTokens: 1000, speechOutputTokens: 1000, textOutputTokens: 1000 };
    expect(speechCostOf(usage, sonic)).toBeCloseTo((60 + 240 + 3400 + 13600) / 1e6, 12);
  });

  it('prices Nova 2 Sonic from its own row', () => {
    const nova2 = pricing.price({ modelId: 'amazon.nova-2-sonic-v1:0', region: 'us-east-1' });
    const usage = {
      speechInputTokens: 1_000_000,
      textInputTokens: 0,
      speechOutputTokens: 1_000_000,
      textOutputTokens: 0,
    };
    expect(speechCostOf(usage, nova2)).toBeCloseTo(3 + 12, 9);
    expect(nova2.source).toMatch(/not verified from here/);
  });

  it('refuses to price speech on a row without speech rates, never taking it as $0', () => {
    const lite = pricing.price({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1' });
    const speech = { speechInputTokens: 1, textInputTokens: 0, speechOutputTokens: 0, textOutputTokens: 0 };
    expect(() => speechCostOf(speech, lite)).toThrow(/no speech price for model amazon.nova-lite-v1:0/);
    expect(
      NovaCostError.is(
        (() => {
          try {
            speechCostOf(speech, lite);
          } catch (e) {
            return e;
          }
        })(),
        'unknown-price',
      ),
    ).toBe(true);
  });
});

describe(UsageEventMeter, () => {
  it("sums Bedrock's deltas", () => {
    const meter = new UsageEventMeter();
    meter.add(event({ input: side(0, 22), output: side(0, 0) }, { input: side(0, 22), output: side(0, 0) }));
    meter.add(event({ input: side(150, 0), output: side(0, 0) }, { input: side(150, 22), output: side(0, 0) }));
    const added = meter.add(
      event({ input: side(0, 1), output: side(40, 12) }, { input: side(150, 23), output: side(40, 12) }),
    );
    expect(added).toEqual({ speechInputTokens: 0, textInputTokens: 1, speechOutputTokens: 40, textOutputTokens: 12 });
    expect(meter.total).toEqual({
      speechInputTokens: 150,
      textInputTokens: 23,
      speechOutputTokens: 40,
      textOutputTokens: 12,
    });
  });

  it('takes the running total where it is ahead of the deltas, or where an event has no delta', () => {
    const meter = new UsageEventMeter();
    meter.add(event(undefined, { input: side(100, 10), output: side(0, 0) }));
    meter.add(event({ input: side(5, 0), output: side(0, 0) }, { input: side(120, 10), output: side(0, 0) }));
    expect(meter.total).toEqual({
      speechInputTokens: 120,
      textInputTokens: 10,
      speechOutputTokens: 0,
      textOutputTokens: 0,
    });
    // A total behind the count so far takes nothing back.
    expect(meter.add(event(undefined, { input: side(1, 1), output: side(0, 0) }))).toEqual({
      speechInputTokens: 0,
      textInputTokens: 0,
      speechOutputTokens: 0,
      textOutputTokens: 0,
    });
  });

  it('counts nothing for what is not a usage event, and no negative or fractional tokens', () => {
    const meter = new UsageEventMeter();
    for (const junk of [undefined, null, 'usage', { details: 'x' }, { details: { delta: { input: side(-5, 2.7) } } }])
      meter.add(junk);
    expect(meter.total).toEqual({
      speechInputTokens: 0,
      textInputTokens: 2,
      speechOutputTokens: 0,
      textOutputTokens: 0,
    });
  });
});
