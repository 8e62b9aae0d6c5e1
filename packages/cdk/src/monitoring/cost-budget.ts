import { Annotations } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface CostBudgetProps {
  /**
   * Who gets the budget e-mails. Without an address the budget still tracks spend (console, Cost Explorer) but has no
   * notification, and a synth warning says so: a budget notification needs at least one subscriber.
   * @default - none
   */
  readonly emails?: readonly string[];
  /** Monthly limit in USD. @default 10000 */
  readonly monthlyLimitUsd?: number;
  /** Alert when actual spend passes this share of the limit. @default 80 */
  readonly actualThresholdPercent?: number;
  /** Alert when forecast spend passes this share of the limit. @default 100 */
  readonly forecastedThresholdPercent?: number;
  /** @default - CloudFormation generates a name */
  readonly budgetName?: string;
}

/** A monthly cost budget that e-mails on actual spend above 80% and forecast spend above 100%. */
export class CostBudget extends Construct {
  readonly budget: budgets.CfnBudget;
  readonly monthlyLimitUsd: number;

  constructor(scope: Construct, id: string, props: CostBudgetProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'monitoring');
    const emails = props.emails ?? [];
    for (const address of emails) {
      if (!/^[^@\s]+@[^@\s]+$/.test(address)) {
        throw new NovaCostError('configuration', `CostBudget subscriber must be an e-mail address, got "${address}"`);
      }
    }
    this.monthlyLimitUsd = props.monthlyLimitUsd ?? 10_000;
    if (!(this.monthlyLimitUsd > 0)) {
      throw new NovaCostError('configuration', `monthlyLimitUsd must be positive, got ${this.monthlyLimitUsd}`);
    }
    const subscribers = emails.map((address) => ({ subscriptionType: 'EMAIL', address }));
    const notification = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
      notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
      subscribers,
    });
    this.budget = new budgets.CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetName: props.budgetName,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: this.monthlyLimitUsd, unit: 'USD' },
      },
      notificationsWithSubscribers:
        subscribers.length === 0
          ? undefined
          : [
              notification('ACTUAL', props.actualThresholdPercent ?? 80),
              notification('FORECASTED', props.forecastedThresholdPercent ?? 100),
            ],
    });
    if (subscribers.length === 0) {
      Annotations.of(this).addWarningV2(
        '@nova-cost/cdk:budget-without-subscribers',
        `CostBudget has no e-mail subscribers: the ${this.monthlyLimitUsd} USD budget tracks spend but alerts nobody; give it emails`,
      );
    }
  }
}
