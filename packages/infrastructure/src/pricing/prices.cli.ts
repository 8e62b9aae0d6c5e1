import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ModelPrice, PriceFile } from '@nova-cost/domain';
import { DEFAULT_PRICES, PRICE_FILE_VERSION, parsePriceFile, pricesLost } from '@nova-cost/domain';
import { fetchBedrockProducts } from './aws-price-list';
import { parsePriceList } from './price-list-parser';
import { rebuildPrices } from './rebuild-prices';

const USAGE = `npm run prices -- --region us-east-1 [--region eu-west-1 …] [--out prices.json] [--previous prices.json]

Rebuilds a price file from the AWS Price List Query API (GetProducts, service code AmazonBedrock) with your AWS
credentials (the default chain: AWS_PROFILE, environment, SSO…; pricing:GetProducts is the only permission used).
Models the Price List does not list (Anthropic's, sold through AWS Marketplace) keep their previous rows. Nothing is
written when the new file would lose a model or a rate the previous one had (--previous, else the file at --out,
else the built-in table for the regions asked). Point the gateway at the file with NOVA_COST_PRICES.`;

const SOURCE = 'AWS Price List Query API, GetProducts AmazonBedrock';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      region: { type: 'string', multiple: true },
      out: { type: 'string', default: 'prices.json' },
      previous: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const regions = values.region ?? [];
  if (values.help || regions.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const previousPath = values.previous ?? (existsSync(values.out) ? values.out : undefined);
  const previous = (
    previousPath ? parsePriceFile(JSON.parse(readFileSync(previousPath, 'utf8')), previousPath) : DEFAULT_PRICES
  ).filter((p) => regions.includes(p.region));
  const asOf = new Date().toISOString().slice(0, 10);
  const fromPriceList: ModelPrice[] = [];
  for (const region of regions) {
    const parsed = parsePriceList(await fetchBedrockProducts(region), { asOf, source: SOURCE });
    fromPriceList.push(...parsed.prices);
    process.stderr.write(
      `${region}: ${parsed.prices.length} models priced by the Price List${parsed.unmappedModels.length ? `; not mapped to a model id: ${parsed.unmappedModels.join(', ')}` : ''}\n`,
    );
  }
  const prices = rebuildPrices(previous, fromPriceList, SOURCE);
  const lost = pricesLost(previous, prices);
  if (lost.length > 0) {
    process.stderr.write(
      `not written: the new price file would lose what ${previousPath ?? 'the built-in table'} had:\n  ${lost.join('\n  ')}\n`,
    );
    return 1;
  }
  const file: PriceFile = { version: PRICE_FILE_VERSION, generatedAt: new Date().toISOString(), prices };
  writeFileSync(values.out, `${JSON.stringify(file, null, 2)}\n`);
  process.stderr.write(`wrote ${prices.length} prices for ${regions.join(', ')} to ${values.out}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`prices: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
