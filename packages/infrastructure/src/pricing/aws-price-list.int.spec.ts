import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PricingClient } from '@aws-sdk/client-pricing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBedrockProducts } from './aws-price-list';

describe(fetchBedrockProducts, () => {
  const asked: { target: string | undefined; body: Record<string, unknown> }[] = [];
  // The Price List Query API's wire protocol (awsJson1_1), answered locally: two pages of products.
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      asked.push({ target: req.headers['x-amz-target'] as string | undefined, body });
      const page =
        body['NextToken'] === 'page-2'
          ? { FormatVersion: 'aws_v1', PriceList: ['{"product":2}'] }
          : { FormatVersion: 'aws_v1', PriceList: ['{"product":1}'], NextToken: 'page-2' };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(page));
    });
  });
  let client: PricingClient;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new PricingClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
  });
  afterAll(() => {
    client.destroy();
    server.close();
  });

  it('asks GetProducts for AmazonBedrock in the region, page after page', async () => {
    expect(await fetchBedrockProducts('eu-west-1', client)).toEqual(['{"product":1}', '{"product":2}']);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatchObject({
      target: 'AWSPriceListService.GetProducts',
      body: {
        ServiceCode: 'AmazonBedrock',
        Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' }],
      },
    });
    expect(asked[1]?.body['NextToken']).toBe('page-2');
  });
});
