import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { BedrockInvokePolicy, type BedrockInvokePolicyProps } from './bedrock-invoke-policy';

function synth(props: Omit<BedrockInvokePolicyProps, 'roles'>) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  new BedrockInvokePolicy(stack, 'Bedrock', { roles: [role], ...props });
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  return policy!.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Effect: string; Resource: unknown }>;
}

describe(BedrockInvokePolicy, () => {
  it('allows InvokeModel and InvokeModelWithResponseStream on the configured foundation model only', () => {
    expect(synth({ foundationModels: [{ modelId: 'amazon.nova-lite-v1:0' }] })).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0'],
          ],
        },
      },
    ]);
  });

  it('allows an inference profile together with its model in every region it routes to', () => {
    const [statement] = synth({
      inferenceProfiles: [
        {
          profileId: 'us.amazon.nova-pro-v1:0',
          modelId: 'amazon.nova-pro-v1:0',
          destinationRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
        },
      ],
    });
    const arns = (statement!.Resource as Array<{ 'Fn::Join': [string, unknown[]] }>).map((r) =>
      r['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'aws')).join(''),
    );
    expect(arns.sort()).toEqual([
      'arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.amazon.nova-pro-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
      'arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-pro-v1:0',
      'arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0',
    ]);
  });

  describe('misuse', () => {
    it.each<[Omit<BedrockInvokePolicyProps, 'roles'>, RegExp]>([
      [{}, /at least one foundation model or inference profile/],
      [{ foundationModels: [{ modelId: 'anthropic.*' }] }, /no wildcards\), got "anthropic.\*"/],
      [
        { inferenceProfiles: [{ profileId: 'us.x', modelId: 'x', destinationRegions: [] }] },
        /needs its destination regions/,
      ],
    ])('refuses %o', (props, message) => {
      expect(() => synth(props)).toThrow(message);
      expect(() => synth(props)).toThrow(NovaCostError);
    });
  });
});
