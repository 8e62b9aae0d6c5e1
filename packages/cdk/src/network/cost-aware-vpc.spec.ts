import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NovaCostError } from '@nova-cost/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { CostAwareVpc, type CostAwareVpcProps } from './cost-aware-vpc';

function synth(props?: CostAwareVpcProps): Template {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  new CostAwareVpc(stack, 'Network', props);
  return Template.fromStack(stack);
}

describe(CostAwareVpc, () => {
  describe('having default props', () => {
    let template: Template;
    beforeAll(() => (template = synth()));

    it('runs one NAT gateway', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
    });

    it('routes S3 and DynamoDB through gateway endpoints', () => {
      for (const service of ['s3', 'dynamodb']) {
        template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          VpcEndpointType: 'Gateway',
          ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }),
        });
      }
    });

    it('adds a bedrock-runtime interface endpoint with private DNS in the private subnets of both AZs', () => {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime',
        PrivateDnsEnabled: true,
      });
      const [endpoint] = Object.values(
        template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
      );
      expect(endpoint?.Properties.SubnetIds).toHaveLength(2);
    });

    it('keeps rejected-traffic flow logs for a month', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  describe('having overrides', () => {
    it('runs the NAT count it is given and can leave the interface endpoint out', () => {
      const template = synth({ natGateways: 2, bedrockRuntimeEndpoint: false });
      template.resourceCountIs('AWS::EC2::NatGateway', 2);
      expect(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } })).toEqual(
        {},
      );
    });

    it('builds isolated private subnets when there is no NAT', () => {
      const template = synth({ natGateways: 0 });
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
    });
  });

  describe('misuse', () => {
    it.each([-1, 1.5, 3])('refuses natGateways %s', (natGateways) => {
      expect(() => synth({ natGateways })).toThrow(NovaCostError);
    });
  });
});
