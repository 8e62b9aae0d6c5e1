import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';

/** The Price List Query API answers from us-east-1 (and ap-south-1), whatever region is priced. */
export const PRICE_LIST_ENDPOINT_REGION = 'us-east-1';

/**
 * Every product of the AmazonBedrock service priced in `region` (GetProducts, all pages), as the JSON strings the
 * API returns. Uses the caller's credentials (the SDK's default chain unless a client is passed).
 */
export async function fetchBedrockProducts(
  region: string,
  client: PricingClient = new PricingClient({ region: PRICE_LIST_ENDPOINT_REGION }),
): Promise<string[]> {
  const products: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetProductsCommand({
        ServiceCode: 'AmazonBedrock',
        Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: region }],
        FormatVersion: 'aws_v1',
        MaxResults: 100,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    // The SDK hands each product over as a lazy JSON string (a String object): its text is the product.
    products.push(...((page.PriceList ?? []) as unknown[]).map((p) => String(p)));
    nextToken = page.NextToken;
  } while (nextToken);
  return products;
}
