import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

/** A foundation model invoked directly, in the given regions. */
export interface FoundationModelAccess {
  /** e.g. 'amazon.nova-lite-v1:0' */
  readonly modelId: string;
  /** @default - the stack's region */
  readonly regions?: readonly string[];
}

/** An inference profile and where it routes, since Bedrock checks the model ARN in every destination region. */
export interface InferenceProfileAccess {
  /** e.g. 'us.amazon.nova-lite-v1:0' (system-defined) or the id of an application profile. */
  readonly profileId: string;
  /** The foundation model behind the profile, e.g. 'amazon.nova-lite-v1:0'. */
  readonly modelId: string;
  /** Every region the profile routes requests to. */
  readonly destinationRegions: readonly string[];
  /** Region the profile itself lives in. @default - the stack's region */
  readonly sourceRegion?: string;
}

export interface BedrockInvokePolicyProps {
  /** Roles allowed to invoke. */
  readonly roles: readonly iam.IRole[];
  /** @default [] */
  readonly foundationModels?: readonly FoundationModelAccess[];
  /** @default [] */
  readonly inferenceProfiles?: readonly InferenceProfileAccess[];
}

/** Actions the gateway needs; Converse and ConverseStream are authorized by these same two. */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

/**
 * The ARNs Bedrock checks an invocation against: each foundation model in its regions, and each inference profile with
 * its model in every region it routes to. Sorted, without duplicates. Refuses a wildcard id and a profile without
 * its destination regions.
 */
export function bedrockModelArns(
  scope: Construct,
  models: readonly FoundationModelAccess[],
  profiles: readonly InferenceProfileAccess[],
): string[] {
  for (const id of [...models.map((m) => m.modelId), ...profiles.flatMap((p) => [p.profileId, p.modelId])]) {
    if (id.trim() === '' || /[*?]/.test(id)) {
      throw new NovaCostError('configuration', `model and profile ids must be exact (no wildcards), got "${id}"`);
    }
  }
  for (const p of profiles) {
    if (p.destinationRegions.length === 0) {
      throw new NovaCostError('configuration', `inference profile "${p.profileId}" needs its destination regions`);
    }
  }
  const stack = Stack.of(scope);
  const modelArn = (region: string, modelId: string) =>
    `arn:${stack.partition}:bedrock:${region}::foundation-model/${modelId}`;
  const resources = new Set<string>();
  for (const m of models) {
    for (const region of m.regions ?? [stack.region]) resources.add(modelArn(region, m.modelId));
  }
  for (const p of profiles) {
    resources.add(
      `arn:${stack.partition}:bedrock:${p.sourceRegion ?? stack.region}:${stack.account}:inference-profile/${p.profileId}`,
    );
    for (const region of p.destinationRegions) resources.add(modelArn(region, p.modelId));
  }
  return [...resources].sort();
}

/** Least-privilege invoke rights: only the listed models and inference profiles, nothing by wildcard. */
export class BedrockInvokePolicy extends Construct {
  readonly policy: iam.Policy;

  constructor(scope: Construct, id: string, props: BedrockInvokePolicyProps) {
    super(scope, id);
    tagCostCategory(this, 'bedrock');
    const models = props.foundationModels ?? [];
    const profiles = props.inferenceProfiles ?? [];
    if (models.length + profiles.length === 0) {
      throw new NovaCostError(
        'configuration',
        'BedrockInvokePolicy needs at least one foundation model or inference profile',
      );
    }
    this.policy = new iam.Policy(this, 'Policy', {
      roles: [...props.roles],
      statements: [
        new iam.PolicyStatement({
          actions: [...BEDROCK_INVOKE_ACTIONS],
          resources: bedrockModelArns(this, models, profiles),
        }),
      ],
    });
  }
}
