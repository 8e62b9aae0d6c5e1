import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLogSource } from '../logs/local-log-source';
import { runReplay } from '../run-replay';
import { writeSampleLogs } from '../sample/write-sample-logs';
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../testing/chromium';
import { tempDir } from '../testing/log-files';
import { writeReport } from '../write-report';
import type { SavingsReport } from './report-data';

/** Screenshots are kept here for a person to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SAMPLE_POLICY = fileURLToPath(new URL('../sample/sample-policy.json', import.meta.url));

if (!hasChromium) {
  console.warn(
    `savings report browser spec skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.skipIf(!hasChromium)('the savings report in headless Chromium', () => {
  let browser: Browser;
  let html: string;
  let report: SavingsReport;

  beforeAll(async () => {
    const dir = await tempDir();
    await writeSampleLogs(join(dir, 'logs'), { records: 3000, days: 3 });
    const { loadReportPolicy } = await import('../config/load-report-config');
    const { StaticPricingCatalog } = await import('@nova-cost/domain');
    const policy = loadReportPolicy(SAMPLE_POLICY, new StaticPricingCatalog());
    report = await runReplay({
      source: new LocalLogSource(join(dir, 'logs')),
      sourceName: 'sample',
      rules: policy.rules,
      identities: policy.identities,
    });
    const written = await writeReport(report, join(dir, 'out'));
    html = await readFile(written.html, 'utf8');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('renders its charts without errors and without any network request', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts="drawn"]', { timeout: 30_000 });

    const charts = await page.evaluate(() => {
      const w = window as unknown as {
        Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: number[] }[] } } | undefined };
      };
      return [...document.querySelectorAll('canvas')].map((c) => {
        const chart = w.Chart.getChart(c);
        // Count pixels that are not blank: a chart was really painted, not just created.
        const ctx = c.getContext('2d')!;
        const pixels = ctx.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted += 1;
        return {
          id: c.id,
          points: chart?.data.datasets.map((d) => d.data.length) ?? [],
          painted,
          width: c.width,
          height: c.height,
        };
      });
    });
    expect(charts.map((c) => c.id)).toEqual(['chart-spend', 'chart-levers', 'chart-models']);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(100);
      expect(c.painted).toBeGreaterThan(500);
    }
    expect(charts[0]!.points).toEqual([report.series.points.length, report.series.points.length]);
    // One bar per measured lever, the output cap and the policy's levers included.
    const measured = report.levers.filter((l) => l.status === 'measured').map((l) => l.id);
    expect(measured).toEqual(expect.arrayContaining(['cache', 'batching', 'service-tier', 'output-cap']));
    expect(charts[1]!.points).toEqual([measured.length]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    const text = await page.locator('body').innerText();
    expect(text).toContain('What nova-cost would save');
    expect(text).toContain('レスポンスキャッシング');
    expect(text).toContain('20–30%');
    expect(text).toContain('Response cache');
    expect(text).toContain('Output caps');
    expect(text).toContain('Deferrable calls: the async API and batch jobs');
    expect(report.deferred?.reduce((n, d) => n + d.calls, 0)).toBeGreaterThan(0);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'savings-report.png'), fullPage: true });
    await page.close();
  });

  it('shows prompts as fingerprints only', async () => {
    expect(report.topPrompts.length).toBeGreaterThan(0);
    expect(report.topPrompts.every((p) => p.preview === undefined && /^[0-9a-f]{16}$/.test(p.fingerprint))).toBe(true);
    expect(html).not.toContain('How do I return my order');
  });
});
