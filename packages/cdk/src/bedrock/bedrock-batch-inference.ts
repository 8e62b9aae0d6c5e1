import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';
import { bedrockModelArns, type FoundationModelAccess, type InferenceProfileAccess } from './bedrock-invoke-policy';

/** Ids of the lifecycle rules the construct adds: the estimate reads their retention from the template. */
export const ASYNC_BATCH_FILES_RULE = 'NovaCostAsyncBatchFiles';
export const ASYNC_RESULTS_RULE = 'NovaCostAsyncResults';

/** Bedrock's longest batch job timeout (timeoutDurationInHours 168), in days: a job's files must outlive the job. */
const LONGEST_JOB_DAYS = 7;

/** A duration as a whole number of days (what a lifecycle rule takes), or undefined. */
function wholeDays(duration: Duration): number | undefined {
  const days = duration.toMilliseconds() / 86_400_000;
  return Number.isInteger(days) ? days : undefined;
}

export interface BedrockBatchInferenceProps {
  /**
   * The bucket that keeps the async API's state and the batch jobs' files (the stack's content bucket): the
   * construct adds its lifecycle rules to it.
   */
  readonly bucket: s3.Bucket;
  /**
   * Where under the bucket (NOVA_COST_ASYNC_PREFIX): `calls/` (accepted, not answered: never expired, the queue
   * deletes each once answered), `results/` and `batches/` (expired by the rules below). Not empty, ends with "/".
   * @default 'nova-cost/async/'
   */
  readonly prefix?: string;
  /**
   * How long the jobs' input and output files and manifests (`<prefix>batches/`) are kept. At least 8 days: a job may
   * run 7 days (Bedrock's longest timeout) and a manifest must outlive its job, or a restarted gateway no longer
   * finds the job's answers.
   * @default Duration.days(14)
   */
  readonly batchFileRetention?: Duration;
  /**
   * How long an ended invocation (`<prefix>results/`) stays readable by GetAsyncInvoke and ListAsyncInvokes, and its
   * clientRequestToken answers a retry with the same invocation. At least 1 day.
   * @default Duration.days(30)
   */
  readonly resultRetention?: Duration;
  /**
   * Models the jobs run directly: the submitting role may CreateModelInvocationJob on them (Bedrock authorizes a job
   * against its model as well as the job), and the service role may InvokeModel them (Bedrock checks it for jobs
   * through an inference profile; on a foundation model it is harmless). At least one model or profile.
   * @default []
   */
  readonly foundationModels?: readonly FoundationModelAccess[];
  /** Inference profiles the jobs run through, with every region they route to. @default [] */
  readonly inferenceProfiles?: readonly InferenceProfileAccess[];
}

/**
 * What Bedrock batch inference (half the on-demand price) needs for the gateway's async API: the service role Bedrock
 * runs the jobs with (trusting bedrock.amazonaws.com for this account's jobs only, reading the jobs' inputs and
 * writing their outputs under the prefix, nothing else), lifecycle rules that expire the jobs' files and the ended
 * invocations, the gateway's environment (NOVA_COST_ASYNC_*), and `grantSubmit` for the role that drives the jobs.
 * Job state is polled by the gateway (no EventBridge rule): see packages/batch-jobs.
 */
export class BedrockBatchInference extends Construct {
  /** The service role Bedrock assumes to run batch jobs (NOVA_COST_ASYNC_ROLE_ARN). */
  readonly serviceRole: iam.Role;
  readonly bucket: s3.Bucket;
  readonly prefix: string;
  /** NOVA_COST_ASYNC_BUCKET, NOVA_COST_ASYNC_ROLE_ARN and NOVA_COST_ASYNC_PREFIX, for the gateway's container. */
  readonly environment: Readonly<Record<string, string>>;
  /** The models and inference profiles jobs may run (their ARNs in every region they route to). */
  private readonly modelArns: readonly string[];

  constructor(scope: Construct, id: string, props: BedrockBatchInferenceProps) {
    super(scope, id);
    tagCostCategory(this, 'bedrock');
    const prefix = (this.prefix = props.prefix ?? 'nova-cost/async/');
    if (!/^([A-Za-z0-9!_.'()-]+\/)+$/.test(prefix)) {
      throw new NovaCostError(
        'configuration',
        `prefix must be one or more path segments ending with "/" (letters, digits, !_.'()- between slashes; not empty, no wildcard), got ${JSON.stringify(prefix)}`,
      );
    }
    const batchFiles = props.batchFileRetention ?? Duration.days(14);
    const results = props.resultRetention ?? Duration.days(30);
    const batchFileDays = wholeDays(batchFiles);
    if (batchFileDays === undefined || batchFileDays < LONGEST_JOB_DAYS + 1) {
      throw new NovaCostError(
        'configuration',
        `batchFileRetention must be whole days, at least ${LONGEST_JOB_DAYS + 1} (a batch job may run ${LONGEST_JOB_DAYS} days and its manifest must outlive it), got ${batchFiles.toHumanString()}`,
      );
    }
    const resultDays = wholeDays(results);
    if (resultDays === undefined || resultDays < 1) {
      throw new NovaCostError(
        'configuration',
        `resultRetention must be whole days, at least 1, got ${results.toHumanString()}`,
      );
    }
    this.bucket = props.bucket;
    const stack = Stack.of(this);
    const { account, partition, region } = stack;

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      description: 'nova-cost: the role Amazon Bedrock runs the async API batch inference jobs with',
      // Only Bedrock, only for this account's batch jobs (the confused-deputy guard AWS recommends).
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:bedrock:${region}:${account}:model-invocation-job/*` },
      }),
    });
    const inBucketAccount = { StringEquals: { 'aws:ResourceAccount': account } };
    const batches = `${prefix}batches/`;
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadJobInputs',
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${batches}*/input/*`)],
        conditions: inBucketAccount,
      }),
    );
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteJobOutputs',
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${batches}*/output/*`)],
        conditions: inBucketAccount,
      }),
    );
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListJobFiles',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { ...inBucketAccount, StringLike: { 's3:prefix': `${batches}*` } },
      }),
    );
    const models = props.foundationModels ?? [];
    const profiles = props.inferenceProfiles ?? [];
    if (models.length + profiles.length === 0)
      throw new NovaCostError(
        'configuration',
        'BedrockBatchInference needs the models its jobs run (foundationModels or inferenceProfiles): Bedrock authorizes CreateModelInvocationJob against the model, and no wildcard is granted',
      );
    this.modelArns = bedrockModelArns(this, models, profiles);
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeJobModels',
        actions: ['bedrock:InvokeModel'],
        resources: [...this.modelArns],
      }),
    );

    // Inputs, outputs and manifests of ended jobs, and ended invocations, cost storage until they expire. Waiting
    // calls (calls/) never expire: the queue deletes each once it is answered.
    this.bucket.addLifecycleRule({
      id: ASYNC_BATCH_FILES_RULE,
      prefix: batches,
      expiration: Duration.days(batchFileDays),
    });
    this.bucket.addLifecycleRule({
      id: ASYNC_RESULTS_RULE,
      prefix: `${prefix}results/`,
      expiration: Duration.days(resultDays),
    });

    this.environment = {
      NOVA_COST_ASYNC_BUCKET: this.bucket.bucketName,
      NOVA_COST_ASYNC_ROLE_ARN: this.serviceRole.roleArn,
      NOVA_COST_ASYNC_PREFIX: prefix,
    };
  }

  /**
   * Lets `grantee` (the gateway's task role) drive the jobs, and nothing more (as AWS's "Required permissions for batch
   * inference" scopes them, Bedrock user guide):
   * - CreateModelInvocationJob on this account's jobs in this region AND the construct's models and profiles: Bedrock
   *   authorizes the create against the job and the model it runs (a job on any other model is refused);
   * - Get and Stop on this account's jobs in this region (their ARNs are only known once created: `model-invocation-job/*`);
   * - ListModelInvocationJobs, a list action that takes no resource (`*`);
   * - iam:PassRole on the batch service role only, and only to bedrock.amazonaws.com (`iam:PassedToService`), so the
   *   gateway can hand Bedrock this role and no other, and to no other service;
   * - read, write and delete under the prefix. No tagging: the jobs are created without tags.
   */
  grantSubmit(grantee: iam.IGrantable): void {
    const { account, partition, region } = Stack.of(this);
    const jobs = `arn:${partition}:bedrock:${region}:${account}:model-invocation-job/*`;
    const statements = [
      new iam.PolicyStatement({
        sid: 'CreateBatchJobs',
        actions: ['bedrock:CreateModelInvocationJob'],
        resources: [jobs, ...this.modelArns],
      }),
      new iam.PolicyStatement({
        sid: 'ManageBatchJobs',
        actions: ['bedrock:GetModelInvocationJob', 'bedrock:StopModelInvocationJob'],
        resources: [jobs],
      }),
      // A list action: Bedrock takes no resource for it.
      new iam.PolicyStatement({ sid: 'ListBatchJobs', actions: ['bedrock:ListModelInvocationJobs'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'PassBatchServiceRole',
        actions: ['iam:PassRole'],
        resources: [this.serviceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        sid: 'AsyncState',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${this.prefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ListAsyncState',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${this.prefix}*` } },
      }),
    ];
    for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}
