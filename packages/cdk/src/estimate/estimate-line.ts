import type { CostCategory } from '@nova-cost/domain';

/** The bill's categories, as the domain names them, plus monitoring (which the design counts under "network & other"). */
export type EstimateCategory = CostCategory | 'monitoring';

/** A floor line is paid with no traffic at all; a traffic line scales with the traffic profile. */
export type EstimateBasis = 'floor' | 'traffic';

export interface EstimateLine {
  readonly category: EstimateCategory;
  readonly basis: EstimateBasis;
  /** What is billed, e.g. 'Fargate vCPU-hours (Spot) of Service'. */
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceUsd: number;
  readonly monthlyUsd: number;
  /** Bedrock lines: what the same requests cost without nova-cost's levers (cache, routing, prompt cache, batch). */
  readonly withoutLeversUsd?: number;
}

/** Collects the lines and notes of an estimate; a line of quantity 0 is left out. */
export class EstimateLines {
  readonly lines: EstimateLine[] = [];
  readonly notes: string[] = [];

  floor(category: EstimateCategory, item: string, quantity: number, unit: string, unitPriceUsd: number): void {
    this.push({ category, basis: 'floor', item, quantity, unit, unitPriceUsd, monthlyUsd: quantity * unitPriceUsd });
  }

  traffic(category: EstimateCategory, item: string, quantity: number, unit: string, unitPriceUsd: number): void {
    this.push({ category, basis: 'traffic', item, quantity, unit, unitPriceUsd, monthlyUsd: quantity * unitPriceUsd });
  }

  /** A traffic line priced as a whole (Bedrock: several token kinds and billing modes in one figure). */
  pricedTraffic(
    category: EstimateCategory,
    item: string,
    quantity: number,
    unit: string,
    monthlyUsd: number,
    withoutLeversUsd?: number,
  ): void {
    const unitPriceUsd = quantity > 0 ? monthlyUsd / quantity : 0;
    this.push({
      category,
      basis: 'traffic',
      item,
      quantity,
      unit,
      unitPriceUsd,
      monthlyUsd,
      ...(withoutLeversUsd === undefined ? {} : { withoutLeversUsd }),
    });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  private push(line: EstimateLine): void {
    if (line.quantity > 0) this.lines.push(line);
  }
}
