import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { CostBudget, type CostBudgetProps } from './cost-budget';

function stackWith(props: CostBudgetProps): Stack {
  const stack = new Stack(new App(), 'Test');
  new CostBudget(stack, 'Budget', props);
  return stack;
}

function synth(props: CostBudgetProps): Template {
  return Template.fromStack(stackWith(props));
}

describe(CostBudget, () => {
  it('budgets 10,000 USD a month and mails on ACTUAL > 80% and FORECASTED > 100%', () => {
    const subscribers = [{ SubscriptionType: 'EMAIL', Address: 'finops@example.com' }];
    synth({ emails: ['finops@example.com'] }).hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 10000, Unit: 'USD' } },
      NotificationsWithSubscribers: [
        {
          Notification: {
            NotificationType: 'ACTUAL',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 80,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: subscribers,
        },
        {
          Notification: {
            NotificationType: 'FORECASTED',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 100,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: subscribers,
        },
      ],
    });
  });

  it('applies the limit, thresholds, name and subscribers it is given', () => {
    const subscribers = [
      { SubscriptionType: 'EMAIL', Address: 'a@example.com' },
      { SubscriptionType: 'EMAIL', Address: 'b@example.com' },
    ];
    synth({
      emails: ['a@example.com', 'b@example.com'],
      monthlyLimitUsd: 2500,
      actualThresholdPercent: 50,
      forecastedThresholdPercent: 90,
      budgetName: 'nova-monthly-budget',
    }).hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetName: 'nova-monthly-budget', BudgetLimit: { Amount: 2500, Unit: 'USD' } },
      NotificationsWithSubscribers: [
        {
          Notification: {
            NotificationType: 'ACTUAL',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 50,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: subscribers,
        },
        {
          Notification: {
            NotificationType: 'FORECASTED',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 90,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: subscribers,
        },
      ],
    });
  });

  describe('having no e-mail address', () => {
    it.each<[string, CostBudgetProps]>([
      ['no emails', {}],
      ['an empty list', { emails: [] }],
    ])('with %s, still creates the budget, without notifications, and warns at synth', (_, props) => {
      const stack = stackWith(props);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: Match.objectLike({ BudgetLimit: { Amount: 10000, Unit: 'USD' } }),
        NotificationsWithSubscribers: Match.absent(),
      });
      Annotations.fromStack(stack).hasWarning(
        '/Test/Budget',
        Match.stringLikeRegexp('CostBudget has no e-mail subscribers: the 10000 USD budget'),
      );
    });

    it('does not warn once it has an address', () => {
      Annotations.fromStack(stackWith({ emails: ['finops@example.com'] })).hasNoWarning('*', Match.anyValue());
    });
  });

  describe('misuse', () => {
    it.each<[CostBudgetProps, RegExp]>([
      [{ emails: ['not-an-address'] }, /must be an e-mail address, got "not-an-address"/],
      [{ emails: ['a@example.com'], monthlyLimitUsd: 0 }, /monthlyLimitUsd must be positive/],
    ])('refuses %o', (props, message) => {
      expect(() => synth(props)).toThrow(message);
      expect(() => synth(props)).toThrow(NovaCostError);
    });
  });
});
