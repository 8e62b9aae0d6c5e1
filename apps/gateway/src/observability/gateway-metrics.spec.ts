import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { GatewayMetrics } from './gateway-metrics';

type EmfLine = Record<string, unknown>;

function metricsWithLines(): { metrics: GatewayMetrics; gauges: () => EmfLine[] } {
  const lines: string[] = [];
  const sink = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
  const metrics = new GatewayMetrics(createLogger('info', sink));
  // The gauge line is the one without a Model dimension.
  const gauges = () =>
    lines.map((l) => JSON.parse(l) as EmfLine).filter((l) => l['msg'] === 'metrics' && l['Model'] === undefined);
  return { metrics, gauges };
}

async function promRatio(metrics: GatewayMetrics): Promise<number> {
  const m = /^nova_cost_cache_hit_ratio (\S+)$/m.exec(await metrics.registry.metrics());
  return Number(m?.[1]);
}

describe(GatewayMetrics, () => {
  describe('.flush', () => {
    it('writes the EMF CacheHitRatio of the answers since the last flush, while the Prometheus gauge stays cumulative', async () => {
      const { metrics, gauges } = metricsWithLines();
      // First interval: 3 hits out of 4 lookups (a bypass is no lookup).
      for (const cache of ['hit', 'coalesced', 'hit', 'miss', 'bypass'] as const)
        metrics.answered('amazon.nova-lite-v1:0', cache, 0.001, []);
      metrics.flush();
      // Second interval: 0 hits out of 4.
      for (let i = 0; i < 4; i++) metrics.answered('amazon.nova-lite-v1:0', 'miss', 0.001, []);
      metrics.flush();
      expect(gauges().map((l) => l['CacheHitRatio'])).toEqual([0.75, 0]);
      expect(await promRatio(metrics)).toBe(3 / 8);
    });

    it('leaves CacheHitRatio out of an interval without lookups (no data, not a cold cache) and still writes the queue depth', () => {
      const { metrics, gauges } = metricsWithLines();
      metrics.attach({ queueDepth: () => 7 });
      metrics.answered('amazon.nova-lite-v1:0', 'hit', 0, []);
      metrics.flush();
      metrics.answered('amazon.nova-lite-v1:0', 'bypass', 0.001, []);
      metrics.flush();
      const [first, second] = gauges();
      expect(first).toMatchObject({ CacheHitRatio: 1, BatchQueueDepth: 7 });
      expect(second).toMatchObject({ BatchQueueDepth: 7 });
      expect(second).not.toHaveProperty('CacheHitRatio');
      const declared = (
        second!['_aws'] as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
      ).CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
      expect(declared).toEqual(['BatchQueueDepth']);
    });
  });
  describe('.answered', () => {
    it('labels cost by base model id whatever form the client typed, and every id outside the catalog as other', async () => {
      const { metrics } = metricsWithLines();
      const typed = [
        'amazon.nova-lite-v1:0',
        'us.amazon.nova-lite-v1:0',
        'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0',
      ];
      for (const id of typed) metrics.answered(id, 'miss', 0.001, []);
      for (let n = 0; n < 50; n++) metrics.answered(`vendor.model-${n}-v1:0`, 'miss', 0.001, []);
      const series = (await metrics.registry.metrics())
        .split('\n')
        .filter((l) => l.startsWith('nova_cost_cost_usd_total{'));
      expect(series.map((l) => /model="([^"]+)"/.exec(l)?.[1]).sort()).toEqual(['amazon.nova-lite-v1:0', 'other']);
    });
  });

  describe('.sessionEnded', () => {
    it("counts a speech session by how it ended, its cost with the others', and reads the sessions' gauges", async () => {
      const { metrics } = metricsWithLines();
      metrics.attach({ speechSessions: () => ({ open: 2, bufferedBytes: 4096, waitingForClient: 1 }) });
      metrics.sessionEnded('amazon.nova-sonic-v1:0', 'budget', 0.25, false);
      metrics.sessionEnded('amazon.nova-sonic-v1:0', 'completed', 0.5, false);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^nova_cost_speech_sessions_total\{model="amazon.nova-sonic-v1:0",end="budget"\} 1$/m);
      expect(text).toMatch(/^nova_cost_cost_usd_total\{model="amazon.nova-sonic-v1:0"\} 0.75$/m);
      expect(text).toMatch(/^nova_cost_speech_sessions_open 2$/m);
      expect(text).toMatch(/^nova_cost_speech_session_buffered_bytes 4096$/m);
      expect(text).toMatch(/^nova_cost_speech_sessions_waiting_client 1$/m);
      expect(await promRatio(metrics)).toBe(0); // a session is no cache lookup
    });
  });
});
