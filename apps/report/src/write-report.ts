import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartLibrarySource } from './report/chart-library';
import type { SavingsReport } from './report/report-data';
import { renderHtml } from './report/render-html';

/** Writes the report as `savings-report.html` (self-contained) and `savings-report.json` in `dir`. */
export async function writeReport(report: SavingsReport, dir: string): Promise<{ html: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const html = join(dir, 'savings-report.html');
  const json = join(dir, 'savings-report.json');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtml(report, chartLibrarySource()));
  return { html, json };
}
