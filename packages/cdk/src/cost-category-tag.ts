import { Tags } from 'aws-cdk-lib';
import type { CostCategory } from '@nova-cost/domain';
import type { IConstruct } from 'constructs';

/** Tag key carrying the bill category; activate it as a cost allocation tag to split Cost Explorer the same way. */
export const COST_CATEGORY_TAG = 'nova-cost:category';

/** Tags every taggable resource under `scope` with its cost category. */
export function tagCostCategory(scope: IConstruct, category: CostCategory | 'monitoring'): void {
  Tags.of(scope).add(COST_CATEGORY_TAG, category);
}
