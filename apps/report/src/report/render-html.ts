import type { GroupFigures, SavingsReport } from './report-data';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Dollars with cents, or three significant digits for amounts under a cent (a replay of a small log is cheap). */
export function usd(x: number): string {
  if (x === 0) return '$0';
  if (Math.abs(x) < 0.01) return `$${x.toPrecision(3)}`;
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const int = (n: number): string => n.toLocaleString('en-US');

function table(headers: readonly string[], rows: readonly (readonly string[])[], empty = 'none'): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  // Figures align right, words left.
  const cell = (c: string) => (/^(<strong>)?(\$|-?\d|—)/.test(c) ? `<td class="n">${c}</td>` : `<td>${c}</td>`);
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function groupTable(groups: readonly GroupFigures[], levers: readonly string[], label: string): string {
  const rows = groups.map((g) => [
    esc(g.key),
    int(g.calls),
    usd(g.usdBefore),
    usd(g.usdAfter),
    usd(g.savedUsd),
    pct(g.savedShare),
    ...levers.map((l) => usd(g.byLever[l]?.savedUsd ?? 0)),
  ]);
  return table([label, 'calls', 'before', 'after', 'saved', 'share', ...levers.map((l) => `saved: ${l}`)], rows);
}

function card(title: string, value: string, sub = ''): string {
  return `<div class="card"><div class="card-title">${esc(title)}</div><div class="card-value">${esc(value)}</div><div class="muted">${esc(sub)}</div></div>`;
}

/** The script that draws the charts from the embedded figures once Chart.js is loaded. */
const DRAW = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var money = function (v) { return '$' + Number(v).toPrecision(3); };
  new Chart(document.getElementById('chart-spend'), {
    type: 'line',
    data: {
      labels: data.series.points.map(function (p) { return data.series.step === 'hour' ? p.t.slice(0, 13).replace('T', ' ') + 'h' : p.t; }),
      datasets: [
        { label: 'without nova-cost', data: data.series.points.map(function (p) { return p.usdBefore; }), borderColor: '#b54a3c', backgroundColor: 'rgba(181,74,60,0.15)', fill: true, pointRadius: 0 },
        { label: 'with nova-cost', data: data.series.points.map(function (p) { return p.usdAfter; }), borderColor: '#2f6f9f', backgroundColor: 'rgba(47,111,159,0.25)', fill: true, pointRadius: 0 }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { callback: money } } }, plugins: { title: { display: true, text: 'USD per ' + data.series.step } } }
  });
  var measured = data.levers.filter(function (l) { return l.status === 'measured'; });
  new Chart(document.getElementById('chart-levers'), {
    type: 'bar',
    data: {
      labels: measured.map(function (l) { return l.title; }),
      datasets: [{ label: 'saved (USD)', data: measured.map(function (l) { return (data.total.byLever[l.id] || { savedUsd: 0 }).savedUsd; }), backgroundColor: '#2f6f9f' }]
    },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { callback: money } } }, plugins: { legend: { display: false } } }
  });
  var models = data.byModel.slice(0, 12);
  new Chart(document.getElementById('chart-models'), {
    type: 'bar',
    data: {
      labels: models.map(function (m) { return m.key; }),
      datasets: [
        { label: 'without nova-cost', data: models.map(function (m) { return m.usdBefore; }), backgroundColor: '#b54a3c' },
        { label: 'with nova-cost', data: models.map(function (m) { return m.usdAfter; }), backgroundColor: '#2f6f9f' }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { callback: money } } } }
  });
  document.body.setAttribute('data-charts', 'drawn');
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1d2430; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d8dde5; padding-bottom: 4px; }
.muted { color: #667085; } .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d8dde5; border-radius: 8px; padding: 10px 14px; min-width: 170px; }
.card-title { color: #667085; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; } .card-value { font-size: 22px; font-weight: 600; }
.chart { position: relative; height: 300px; margin: 12px 0; } .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; } th, td { border-bottom: 1px solid #eceff3; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } th { background: #f5f7fa; } code { font-size: 12px; } .planned { color: #8a6d1d; }
`;

/** The report as one HTML page: figures, tables and charts, Chart.js inlined, nothing fetched when it opens. */
export function renderHtml(report: SavingsReport, chartLibrary: string): string {
  const t = report.total;
  const measured = report.levers.filter((l) => l.status === 'measured').map((l) => l.id);
  const leverRows = report.levers.map((l) => {
    const f = t.byLever[l.id];
    if (l.status === 'planned')
      return [
        `<span class="planned">${esc(l.title)}</span>`,
        'planned',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        '—',
        esc(l.note),
      ];
    return [
      esc(l.title),
      'measured',
      int(f?.calls ?? 0),
      int(f?.tokensBefore ?? 0),
      int(f?.tokensAfter ?? 0),
      usd(f?.usdBefore ?? 0),
      usd(f?.usdAfter ?? 0),
      usd(f?.savedUsd ?? 0),
      pct(t.usdBefore > 0 ? (f?.savedUsd ?? 0) / t.usdBefore : 0),
      esc(l.note),
    ];
  });
  const checklist = report.checklist.map((r) => [
    esc(r.category),
    `${esc(r.measure)}<br><span class="muted">${esc(r.measureEn)}</span>`,
    esc(r.assumed),
    r.measuredShare === null ? '—' : `<strong>${pct(r.measuredShare)}</strong>`,
    esc(r.note),
  ]);
  const prompts = report.topPrompts.map((p) => [
    p.preview === undefined
      ? `<code>${esc(p.fingerprint)}</code>`
      : `${esc(p.preview)}<br><code class="muted">${esc(p.fingerprint)}</code>`,
    esc(p.tenantId),
    esc(p.modelId),
    int(p.repeats),
    usd(p.savedUsd),
  ]);
  const problems = report.problems.named.map((p) => [esc(`${p.file}:${p.line}`), esc(p.reason)]);
  const period = report.period.from ? `${report.period.from} – ${report.period.to}` : 'no calls';
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>nova-cost savings report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>What nova-cost would save</h1>
<p class="muted">${report.kind === 'replay' ? 'Replay of' : 'Ledger of the gateway at'} <code>${esc(report.source)}</code> · ${esc(period)} · generated ${esc(report.generatedAt)}</p>
<div class="cards">
${
  report.kind === 'replay'
    ? [
        card('Bedrock bill as logged', usd(t.usdBefore), `${int(t.calls)} calls`),
        card('With nova-cost', usd(t.usdAfter), `${int(t.tokensAfter)} of ${int(t.tokensBefore)} tokens billed`),
        card('Saved', usd(t.savedUsd), `${pct(t.savedShare)} of the bill`),
        card(
          'Records read',
          int(report.records.read),
          `${int(report.problems.count)} unreadable · ${int(report.records.files)} files`,
        ),
      ].join('\n')
    : [
        card('Without nova-cost', usd(t.usdBefore), `${int(t.calls)} calls`),
        card('Billed through the gateway', usd(t.usdAfter), `tenant ${report.byTenant[0]?.key ?? ''}`),
        card('Saved', usd(t.savedUsd), `${pct(t.savedShare)} of the bill`),
      ].join('\n')
}
</div>
<h2>Spend over time</h2>
<div class="chart"><canvas id="chart-spend" aria-label="spend over time with and without nova-cost"></canvas></div>
<div class="charts">
<div><h2>Saving by lever</h2><div class="chart"><canvas id="chart-levers" aria-label="saving by lever"></canvas></div></div>
<div><h2>Spend by model</h2><div class="chart"><canvas id="chart-models" aria-label="spend by model"></canvas></div></div>
</div>
<h2>Levers</h2>
${table(['lever', 'status', 'calls', 'tokens before', 'tokens after', 'USD before', 'USD after', 'saved', 'share of bill', 'how'], leverRows)}
${
  report.deferred === undefined
    ? ''
    : `<h2>Deferrable calls: the async API and batch jobs</h2>
${table(
  ['answered', 'calls', 'USD before', 'USD after'],
  report.deferred.map((d) => [
    esc(
      d.route === 'on-demand'
        ? `on demand (${d.reason ?? ''})`
        : d.route === 'batch'
          ? 'in a batch job'
          : 'from the cache',
    ),
    int(d.calls),
    usd(d.usdBefore),
    usd(d.usdAfter),
  ]),
  'no caller is deferrable (identity rules with "lane": "deferrable")',
)}`
}
<h2>The design document's checklist</h2>
${table(['category', 'measure', 'assumed', 'measured', ''], checklist)}
<h2>By model</h2>
${groupTable(report.byModel, measured, 'model (as asked)')}
<h2>By tenant</h2>
${groupTable(report.byTenant, measured, 'tenant')}
<h2>By day (UTC)</h2>
${groupTable(report.byDay, measured, 'day')}
<h2>Top repeated prompts</h2>
${table(['prompt', 'tenant', 'model', 'calls avoided', 'saved'], prompts, report.kind === 'replay' ? 'no request was repeated' : 'the gateway ledger keeps no prompts')}
<h2>Calls not replayed</h2>
${table(
  ['reason', 'calls', 'USD (kept in both columns)'],
  report.notReplayed.map((r) => [esc(r.reason), int(r.calls), usd(r.usd)]),
)}
${table(
  ['failed calls (not billed)', 'calls'],
  report.failed.map((f) => [esc(f.errorCode), int(f.calls)]),
  'no failed calls',
)}
${table(
  ['unpriced model', 'region', 'calls', 'tokens', 'why'],
  report.unpriced.map((u) => [esc(u.modelId), esc(u.region), int(u.calls), int(u.tokens), esc(u.reason)]),
  'every call was priced',
)}
<h2>Unreadable records</h2>
<p>${int(report.problems.count)} record(s) could not be read${
    Object.keys(report.problems.byReason).length
      ? `: ${Object.entries(report.problems.byReason)
          .map(([r, n]) => `${esc(r)} (${int(n)})`)
          .join(', ')}`
      : '.'
  }${report.problems.count > report.problems.named.length ? ` The first ${report.problems.named.length} are named below.` : ''}</p>
${table(['file:line', 'reason'], problems)}
<h2>Prices</h2>
${table(
  ['model', 'region', 'input / 1M', 'output / 1M', 'source', 'as of'],
  report.prices.map((p) => [
    esc(p.modelId),
    esc(p.region),
    usd(p.inputPer1M),
    usd(p.outputPer1M),
    esc(p.source),
    esc(p.asOf),
  ]),
)}
<h2>How this was computed</h2>
<ul>${report.assumptions.map((a) => `<li>${esc(a)}</li>`).join('\n')}</ul>
<script type="application/json" id="report-data">${data}</script>
<script>${chartLibrary.replace(/<\/script/gi, '<\\/script')}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
