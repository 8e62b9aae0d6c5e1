import { parseArgs } from 'node:util';
import { ReportError } from '../report-error';

export const USAGE = `Usage:
  npm run report -- <logs> [options]         replay Bedrock invocation logs: a folder, a file, or s3://bucket/prefix
  npm run report -- sample [options]         generate the sample log set (seeded) and replay it
  npm run report -- --from-gateway <URL>     render a running gateway's GET /costs (API key: --api-key or NOVA_COST_API_KEY)

Options:
  --policy <file>          the gateway's tenants document or a cost policy, plus "identities" rules (default: domain defaults)
  --prices <file>          price rows replacing or adding to the built-in table (default: built-in, with source and date)
  --out <dir>              where savings-report.html and savings-report.json go (default: ./nova-cost-report)
  --show-prompts           show the text of the top repeated prompts (default: fingerprints only)
  --top <n>                repeated prompts listed (default: 20)
  --reorder-window <n>     records held to put the logs in time order (default: 10000)
  --region <region>        region of the S3 bucket (default: AWS_REGION, else us-east-1)
  --s3-endpoint <url>      an S3-compatible endpoint (path-style), e.g. a local test server
  --api-key <key>          API key of the gateway tenant for --from-gateway
  --quiet                  no progress on stderr
  -h, --help               this text
`;

export interface ReportArgs {
  readonly logs?: string;
  readonly fromGateway?: string;
  readonly apiKey?: string;
  readonly policy?: string;
  readonly prices?: string;
  readonly out: string;
  readonly showPrompts: boolean;
  readonly top: number;
  readonly reorderWindow: number;
  readonly region?: string;
  readonly s3Endpoint?: string;
  readonly quiet: boolean;
  readonly help: boolean;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ReportError('usage', `--${name} must be a whole number >= 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The command line, checked; a usage error names the option and what it takes. */
export function parseReportArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: 'string' },
        prices: { type: 'string' },
        out: { type: 'string' },
        'show-prompts': { type: 'boolean' },
        top: { type: 'string' },
        'reorder-window': { type: 'string' },
        region: { type: 'string' },
        's3-endpoint': { type: 'string' },
        'from-gateway': { type: 'string' },
        'api-key': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ReportError('usage', (err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1)
    throw new ReportError('usage', `one log location expected, got ${positionals.length}: ${positionals.join(' ')}`);
  const logs = positionals[0];
  const help = v.help ?? false;
  if (!help && logs === undefined && v['from-gateway'] === undefined)
    throw new ReportError(
      'usage',
      'name the logs to replay (a folder, a file, s3://bucket/prefix, or sample), or --from-gateway URL',
    );
  if (logs !== undefined && v['from-gateway'] !== undefined)
    throw new ReportError('usage', 'give either logs to replay or --from-gateway, not both');
  const apiKey = v['api-key'] ?? env['NOVA_COST_API_KEY'];
  if (v['from-gateway'] !== undefined && !apiKey)
    throw new ReportError('usage', "--from-gateway needs the tenant's API key: --api-key KEY or NOVA_COST_API_KEY");
  const region = v.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  return {
    ...(logs !== undefined ? { logs } : {}),
    ...(v['from-gateway'] !== undefined ? { fromGateway: v['from-gateway'] } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(v.policy !== undefined ? { policy: v.policy } : {}),
    ...(v.prices !== undefined ? { prices: v.prices } : {}),
    out: v.out ?? 'nova-cost-report',
    showPrompts: v['show-prompts'] ?? false,
    top: positiveInt('top', v.top, 20),
    reorderWindow: positiveInt('reorder-window', v['reorder-window'], 10_000),
    ...(region ? { region } : {}),
    ...(v['s3-endpoint'] !== undefined ? { s3Endpoint: v['s3-endpoint'] } : {}),
    quiet: v.quiet ?? false,
    help,
  };
}
