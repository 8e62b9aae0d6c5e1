import { describe, expect, it } from 'vitest';
import { gatewayReport } from './from-gateway';
import { renderHtml, usd } from './render-html';

const costs = (tenantId: string) => ({
  tenantId,
  total: {
    calls: 3,
    costUsd: 0.2,
    savedUsd: 0.1,
    savedByStrategy: { cache: 0.1, coalescing: 0, routing: 0, batching: 0 },
  },
  byModel: [{ key: 'amazon.nova-lite-v1:0', calls: 3, costUsd: 0.2, savedUsd: 0.1, savedByStrategy: { cache: 0.1 } }],
  byDay: [{ key: '2026-03-02', calls: 3, costUsd: 0.2, savedUsd: 0.1, savedByStrategy: { cache: 0.1 } }],
  byCategory: [],
  byStrategy: [{ key: 'cache', calls: 1, costUsd: 0, savedUsd: 0.1, savedByStrategy: { cache: 0.1 } }],
});

describe(renderHtml, () => {
  it('escapes every name it shows and cannot be closed from inside its data', () => {
    const html = renderHtml(
      gatewayReport('http://gw', costs('<img src=x onerror=alert(1)></script>')),
      '/* chart.js */',
    );
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Only the report's own three script elements close.
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('forbids the page any network access by its content security policy', () => {
    expect(renderHtml(gatewayReport('http://gw', costs('a')), '')).toContain(
      `content="default-src 'none'; script-src 'unsafe-inline'`,
    );
  });
});

describe(gatewayReport, () => {
  it("takes before as billed plus saved, per lever from the ledger's strategy groups", () => {
    const r = gatewayReport('http://gw', costs('demo'));
    expect(r.total).toMatchObject({ calls: 3, usdBefore: 0.30000000000000004, usdAfter: 0.2, savedUsd: 0.1 });
    expect(r.total.byLever['cache']).toEqual({
      calls: 1,
      tokensBefore: 0,
      tokensAfter: 0,
      usdBefore: 0.1,
      usdAfter: 0,
      savedUsd: 0.1,
    });
    expect(r.checklist[0]!.measuredShare).toBeCloseTo(1 / 3, 12);
  });

  it('lists the models the gateway could not price, with their calls and tokens', () => {
    const answer = costs('demo');
    const unpriced = {
      key: 'meta.llama3-70b-instruct-v1:0',
      calls: 2,
      costUsd: 0,
      savedUsd: 0,
      savedByStrategy: {},
      unpriced: { calls: 2, inputTokens: 30, outputTokens: 12 },
    };
    const r = gatewayReport('http://gw', { ...answer, byModel: [...answer.byModel, unpriced] });
    expect(r.unpriced).toEqual([
      {
        modelId: 'meta.llama3-70b-instruct-v1:0',
        region: '—',
        calls: 2,
        tokens: 42,
        reason: "no price in the gateway's price table: its cost is not in the figures",
      },
    ]);
  });

  it("refuses an answer that is not a gateway's /costs", () => {
    expect(() => gatewayReport('http://elsewhere', { hello: 'world' })).toThrow(
      'http://elsewhere/costs did not answer {tenantId, total, byModel, byDay, byStrategy}: is it a nova-cost gateway?',
    );
  });
});

describe(usd, () => {
  it.each([
    [0, '$0'],
    [0.000026, '$0.0000260'],
    [1234.5, '$1,234.50'],
  ])('%s → %s', (x, text) => {
    expect(usd(x)).toBe(text);
  });
});
