import type { ModelPrice } from '@nova-cost/domain';

/**
 * The rows of a rebuilt price file: the Price List's, and the previous rows it does not replace that did not come
 * from it (models the Price List does not list, such as Anthropic's). A previous row that came from the Price List and
 * is no longer there is dropped, which `pricesLost` then reports.
 */
export function rebuildPrices(
  previous: readonly ModelPrice[],
  fromPriceList: readonly ModelPrice[],
  priceListSource: string,
): ModelPrice[] {
  const key = (p: ModelPrice) => `${p.region}|${p.modelId}`;
  const fresh = new Set(fromPriceList.map(key));
  const kept = previous.filter((p) => !fresh.has(key(p)) && !p.source.startsWith(priceListSource));
  return [...fromPriceList, ...kept].sort((a, b) => key(a).localeCompare(key(b)));
}
