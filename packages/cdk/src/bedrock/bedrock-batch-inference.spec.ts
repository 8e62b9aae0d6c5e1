import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ASYNC_BATCH_FILES_RULE,
  ASYNC_RESULTS_RULE,
  BedrockBatchInference,
  type BedrockBatchInferenceProps,
} from './bedrock-batch-inference';

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A stack as the app composes it: a bucket, the batch construct, and a task role granted to submit. */
function build(props: Partial<BedrockBatchInferenceProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Content', { enforceSSL: true });
  const batch = new BedrockBatchInference(stack, 'Batch', {
    bucket,
    foundationModels: [{ modelId: 'amazon.nova-lite-v1:0' }],
    ...props,
  });
  const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  batch.grantSubmit(taskRole);
  const template = Template.fromStack(stack);
  const ids = {
    bucket: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket),
    serviceRole: stack.getLogicalId(batch.serviceRole.node.defaultChild as iam.CfnRole),
    taskRole: stack.getLogicalId(taskRole.node.defaultChild as iam.CfnRole),
  };
  /** The statements of the policies attached to a role. */
  const statementsOf = (roleId: string): Statement[] =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return { app, stack, batch, template, ids, statementsOf };
}

/** This account's batch jobs in the stack's region, as the template writes the ARN. */
const jobArns = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:111111111111:model-invocation-job/*']],
};

/** An S3 ARN of the bucket as the template writes it, e.g. `<Content.Arn>/nova-cost/async/*`. */
function objectArn(bucketId: string, key: string) {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${key}`]] };
}

describe(BedrockBatchInference, () => {
  describe('having the defaults', () => {
    let built: ReturnType<typeof build>;
    beforeAll(() => (built = build()));

    it('is a role only Bedrock may assume, and only for batch jobs of this account', () => {
      const [role] = Object.values(
        built.template.findResources('AWS::IAM::Role', {
          Properties: {
            AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'bedrock.amazonaws.com' } }] },
          },
        }),
      );
      expect(role!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'bedrock.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111111111111' },
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:111111111111:model-invocation-job/*'],
                ],
              },
            },
          },
        },
      ]);
    });

    it('lets the service role read the jobs’ inputs and write their outputs under the prefix, invoke the jobs’ models, and nothing else', () => {
      const inAccount = { StringEquals: { 'aws:ResourceAccount': '111111111111' } };
      expect(built.statementsOf(built.ids.serviceRole)).toEqual([
        {
          Sid: 'ReadJobInputs',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: objectArn(built.ids.bucket, 'nova-cost/async/batches/*/input/*'),
          Condition: inAccount,
        },
        {
          Sid: 'WriteJobOutputs',
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: objectArn(built.ids.bucket, 'nova-cost/async/batches/*/output/*'),
          Condition: inAccount,
        },
        {
          Sid: 'ListJobFiles',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [built.ids.bucket, 'Arn'] },
          Condition: { ...inAccount, StringLike: { 's3:prefix': 'nova-cost/async/batches/*' } },
        },
        {
          Sid: 'InvokeJobModels',
          Effect: 'Allow',
          Action: 'bedrock:InvokeModel',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0'],
            ],
          },
        },
      ]);
    });

    it('expires the jobs’ files after 14 days and ended invocations after 30, never the calls still waiting', () => {
      const [bucket] = Object.values(built.template.findResources('AWS::S3::Bucket'));
      const rules = bucket!.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
      expect(rules).toEqual([
        { Id: ASYNC_BATCH_FILES_RULE, Prefix: 'nova-cost/async/batches/', ExpirationInDays: 14, Status: 'Enabled' },
        { Id: ASYNC_RESULTS_RULE, Prefix: 'nova-cost/async/results/', ExpirationInDays: 30, Status: 'Enabled' },
      ]);
      expect(JSON.stringify(rules)).not.toMatch(/calls\//);
    });

    it('lets the submitting role drive jobs, pass this role to Bedrock only, and keep its state under the prefix', () => {
      const statements = built.statementsOf(built.ids.taskRole);
      expect(statements).toEqual([
        // Bedrock authorizes CreateModelInvocationJob against the job and the model it runs (AWS's scoped example in
        // "Required permissions for batch inference" lists both): this account's jobs, and the construct's models only.
        {
          Sid: 'CreateBatchJobs',
          Effect: 'Allow',
          Action: 'bedrock:CreateModelInvocationJob',
          Resource: [
            jobArns,
            {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0'],
              ],
            },
          ],
        },
        {
          Sid: 'ManageBatchJobs',
          Effect: 'Allow',
          Action: ['bedrock:GetModelInvocationJob', 'bedrock:StopModelInvocationJob'],
          Resource: jobArns,
        },
        { Sid: 'ListBatchJobs', Effect: 'Allow', Action: 'bedrock:ListModelInvocationJobs', Resource: '*' },
        {
          Sid: 'PassBatchServiceRole',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: { 'Fn::GetAtt': [built.ids.serviceRole, 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
        },
        {
          Sid: 'AsyncState',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: objectArn(built.ids.bucket, 'nova-cost/async/*'),
        },
        {
          Sid: 'ListAsyncState',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [built.ids.bucket, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': 'nova-cost/async/*' } },
        },
      ]);
    });

    it('gives the gateway the bucket, the role and the prefix as NOVA_COST_ASYNC_* variables', () => {
      const env = built.stack.resolve(built.batch.environment);
      expect(env).toEqual({
        NOVA_COST_ASYNC_BUCKET: { Ref: built.ids.bucket },
        NOVA_COST_ASYNC_ROLE_ARN: { 'Fn::GetAtt': [built.ids.serviceRole, 'Arn'] },
        NOVA_COST_ASYNC_PREFIX: 'nova-cost/async/',
      });
    });

    it('tags what it creates as Bedrock spend', () => {
      built.template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'bedrock.amazonaws.com' } }] },
        Tags: [{ Key: 'nova-cost:category', Value: 'bedrock' }],
      });
    });

    it('has no AwsSolutions finding but the wildcards of the prefix, the job ARNs and the list action', () => {
      const { app, ids } = build();
      const findings = new AwsSolutionsChecks()
        .validateScope(app)
        .violations.filter((v) => v.ruleName !== 'AwsSolutions-S1') // the test bucket's own access logs
        .map((v) => v.ruleName);
      expect(findings.sort()).toEqual(
        [
          'Resource::*',
          `Resource::<${ids.bucket}.Arn>/nova-cost/async/*`,
          `Resource::<${ids.bucket}.Arn>/nova-cost/async/batches/*/input/*`,
          `Resource::<${ids.bucket}.Arn>/nova-cost/async/batches/*/output/*`,
          'Resource::arn:<AWS::Partition>:bedrock:us-east-1:111111111111:model-invocation-job/*',
        ]
          .map((f) => `AwsSolutions-IAM5[${f}]`)
          .sort(),
      );
    });
  });

  describe('having inference profiles the jobs run through', () => {
    it('lets the service role InvokeModel the profile and its model in every region it routes to, nothing more', () => {
      const built = build({
        inferenceProfiles: [
          {
            profileId: 'us.amazon.nova-lite-v1:0',
            modelId: 'amazon.nova-lite-v1:0',
            destinationRegions: ['us-east-1', 'us-west-2'],
          },
        ],
      });
      const invoke = built.statementsOf(built.ids.serviceRole).find((s) => s.Sid === 'InvokeJobModels')!;
      expect(invoke.Action).toBe('bedrock:InvokeModel');
      expect(JSON.stringify(invoke.Resource)).toMatch(/inference-profile\/us\.amazon\.nova-lite-v1:0/);
      expect((invoke.Resource as unknown[]).length).toBe(3);
    });

    it('lets the submitting role create jobs on that profile and its models, on no other model', () => {
      const built = build({
        foundationModels: [],
        inferenceProfiles: [
          {
            profileId: 'us.amazon.nova-lite-v1:0',
            modelId: 'amazon.nova-lite-v1:0',
            destinationRegions: ['us-east-1', 'us-west-2'],
          },
        ],
      });
      const create = built.statementsOf(built.ids.taskRole).find((s) => s.Sid === 'CreateBatchJobs')!;
      const resources = JSON.stringify(create.Resource);
      expect(resources).toMatch(/model-invocation-job\/\*/);
      expect(resources).toMatch(/inference-profile\/us\.amazon\.nova-lite-v1:0/);
      expect(resources).toMatch(/us-west-2::foundation-model\/amazon\.nova-lite-v1:0/);
      expect(resources).not.toMatch(/foundation-model\/\*|"\*"/);
      expect((create.Resource as unknown[]).length).toBe(4);
    });
  });

  describe('having another prefix and retention', () => {
    it('scopes every grant and rule to that prefix', () => {
      const built = build({
        prefix: 'jobs/',
        batchFileRetention: Duration.days(10),
        resultRetention: Duration.days(3),
      });
      const text = JSON.stringify(built.template.toJSON());
      expect(text).not.toMatch(/nova-cost\/async/);
      const [bucket] = Object.values(built.template.findResources('AWS::S3::Bucket'));
      expect(bucket!.Properties.LifecycleConfiguration.Rules).toEqual([
        expect.objectContaining({ Prefix: 'jobs/batches/', ExpirationInDays: 10 }),
        expect.objectContaining({ Prefix: 'jobs/results/', ExpirationInDays: 3 }),
      ]);
      expect(built.batch.environment['NOVA_COST_ASYNC_PREFIX']).toBe('jobs/');
    });
  });

  describe('misuse', () => {
    it.each<[Partial<BedrockBatchInferenceProps>, RegExp]>([
      [{ prefix: '' }, /prefix must be one or more path segments ending with "\/".*got ""/],
      [{ prefix: 'async' }, /prefix must be .* got "async"/],
      [{ prefix: 'a*/' }, /no wildcard\), got "a\*\/"/],
      [{ batchFileRetention: Duration.days(7) }, /batchFileRetention must be whole days, at least 8 .* got 7 days/],
      [{ batchFileRetention: Duration.hours(200) }, /batchFileRetention must be whole days/],
      [{ resultRetention: Duration.hours(12) }, /resultRetention must be whole days, at least 1, got 12 hours/],
      [{ foundationModels: [] }, /needs the models its jobs run \(foundationModels or inferenceProfiles\)/],
    ])('refuses %j, naming the prop', (props, message) => {
      let error: unknown;
      try {
        build(props);
      } catch (e) {
        error = e;
      }
      expect(NovaCostError.is(error, 'configuration')).toBe(true);
      expect((error as Error).message).toMatch(message);
    });
  });
});
