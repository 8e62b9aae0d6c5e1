import { App, Validations, type Environment } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { VECTOR_ENGINES, type VectorEngine } from '@nova-cost/cdk';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeNagFindings } from './nag-acknowledgements';
import { NovaCostStack, type NovaCostStackProps } from './nova-cost.stack';

/**
 * Options of the app; anything not given comes from context (`-c key=value` or cdk.json): `alertEmails`
 * (comma-separated), `region`, `tenantsSecretArn`, `monthlyBudgetUsd`, and the serverless parts, all off by default:
 * `eventProcessorCode` (a directory holding the handler built for linux-arm64) with `eventProcessorHandler`,
 * `vectorSearch` (s3-vectors or opensearch-serverless), `httpApi` and `production` (true or false), and `asyncInvoke`
 * (true or false, default true).
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
  const asyncInvoke = contextFlag(app, 'asyncInvoke');
  const stack = new NovaCostStack(app, 'NovaCost', {
    ...serverlessFromContext(app),
    ...(typeof contextSecretArn === 'string' && contextSecretArn !== '' ? { tenantsSecretArn: contextSecretArn } : {}),
    ...(contextBudget !== undefined && contextBudget !== '' ? { monthlyBudgetUsd: Number(contextBudget) } : {}),
    ...(asyncInvoke === undefined ? {} : { asyncInvoke }),
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

function contextFlag(app: App, key: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new NovaCostError('configuration', `-c ${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** The serverless parts the context asks for; each is left out (off) unless its key is given. */
function serverlessFromContext(app: App): Partial<NovaCostStackProps> {
  const code: unknown = app.node.tryGetContext('eventProcessorCode');
  const handler: unknown = app.node.tryGetContext('eventProcessorHandler');
  const engine: unknown = app.node.tryGetContext('vectorSearch');
  if (engine !== undefined && engine !== '' && engine !== 'none' && !VECTOR_ENGINES.includes(engine as VectorEngine)) {
    throw new NovaCostError(
      'configuration',
      `-c vectorSearch must be none, ${VECTOR_ENGINES.join(' or ')}, got ${JSON.stringify(engine)}`,
    );
  }
  const httpApi = contextFlag(app, 'httpApi');
  const production = contextFlag(app, 'production');
  return {
    ...(typeof code === 'string' && code !== ''
      ? {
          eventProcessor: {
            code: lambda.Code.fromAsset(code),
            ...(typeof handler === 'string' && handler !== '' ? { handler } : {}),
          },
        }
      : {}),
    ...(engine !== undefined && engine !== '' && engine !== 'none' ? { vectorSearch: engine as VectorEngine } : {}),
    ...(httpApi === undefined ? {} : { httpApi }),
    ...(production === undefined ? {} : { production }),
  };
}
