import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeNagFindings } from './nag-acknowledgements';
import { NovaCostStack, type NovaCostStackProps } from './nova-cost.stack';

/**
 * Options of the app; anything not given comes from context (`-c key=value` or cdk.json): `alertEmails`
 * (comma-separated), `region`, `tenantsSecretArn`, `monthlyBudgetUsd`.
 */
export interface BuildAppOptions extends Partial<Omit<NovaCostStackProps, 'env'>> {
  /** @default a new App */
  readonly app?: App;
  /**
   * @default region from context `region` (cdk.json: ap-northeast-1), else CDK_DEFAULT_REGION, else ap-northeast-1;
   * account from CDK_DEFAULT_ACCOUNT
   */
  readonly env?: Environment;
}

/** The CDK app: one stack, checked by the cdk-nag AwsSolutions pack at synth. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: NovaCostStack } {
  const { app: givenApp, env, alertEmails: givenEmails, ...stackOptions } = options;
  const app = givenApp ?? new App();
  // No default address: a guessed one would mail a stranger. Without any, the budget warns at synth (CostBudget).
  const alertEmails =
    givenEmails ??
    String(app.node.tryGetContext('alertEmails') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const contextSecretArn: unknown = app.node.tryGetContext('tenantsSecretArn');
  // `-c monthlyBudgetUsd=500` arrives as a string; CostBudget refuses what is not a positive number.
  const contextBudget: unknown = app.node.tryGetContext('monthlyBudgetUsd');
  const stack = new NovaCostStack(app, 'NovaCost', {
    ...(typeof contextSecretArn === 'string' && contextSecretArn !== '' ? { tenantsSecretArn: contextSecretArn } : {}),
    ...(contextBudget !== undefined && contextBudget !== '' ? { monthlyBudgetUsd: Number(contextBudget) } : {}),
    ...stackOptions,
    alertEmails,
    env: env ?? {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'ap-northeast-1',
    },
  });
  acknowledgeNagFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
