import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CostAwareVpc } from './cost-aware-vpc';
import { HttpApiFrontDoor, type HttpApiFrontDoorProps } from './http-api-front-door';

type Options = Omit<HttpApiFrontDoorProps, 'backend'>;

function behindAlb(options: Options = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const { vpc } = new CostAwareVpc(stack, 'Network');
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: false });
  const listener = alb.addListener('Http', {
    port: 80,
    open: false,
    defaultAction: elbv2.ListenerAction.fixedResponse(200),
  });
  const door = new HttpApiFrontDoor(stack, 'Api', { backend: { kind: 'alb', listener, vpc }, ...options });
  return { app, stack, door, template: Template.fromStack(stack) };
}

function behindLambda(options: Options = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const handler = new lambda.Function(stack, 'Handler', {
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
  });
  new HttpApiFrontDoor(stack, 'Api', { backend: { kind: 'lambda', handler }, ...options });
  return { app, template: Template.fromStack(stack) };
}

/** AwsSolutions findings on the construct under test (fixtures have their own). */
function findingsUnder(app: App, path: string): Array<{ ruleName: string }> {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith(path)));
}

describe(HttpApiFrontDoor, () => {
  it('is an HTTP API (not REST) whose $default stage throttles at 50 requests/s with bursts of 100', () => {
    const { template } = behindAlb();
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('writes JSON access logs without headers or bodies to a log group kept a month', () => {
    const { template } = behindAlb();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage!.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'] });
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationLatency: '$context.integrationLatency',
    });
    expect(Object.values(format).join(' ')).not.toMatch(/header|body|authorizer/i);
  });

  it('reaches the ALB listener through a VPC link in the private subnets, admitted by the ALB on its port only', () => {
    const { template } = behindAlb();
    const privateSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) => /private/i.test(id));
    template.hasResourceProperties('AWS::ApiGatewayV2::VpcLink', {
      SubnetIds: privateSubnets.map((id) => ({ Ref: id })),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      ConnectionType: 'VPC_LINK',
      IntegrationUri: { Ref: Match.stringLikeRegexp('^AlbHttp') },
      TimeoutInMillis: 29_000,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 80,
      ToPort: 80,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiVpcLinkSecurityGroup'), 'GroupId'] },
    });
  });

  it('proxies to a Lambda function with payload format 2.0', () => {
    behindLambda().template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Handler'), 'Arn'] },
    });
  });

  it('applies throttle, retention and timeout overrides', () => {
    const { template } = behindLambda({
      rateLimit: 5,
      burstLimit: 10,
      accessLogRetention: 7,
      timeout: Duration.seconds(10),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { TimeoutInMillis: 10_000 });
  });

  it('leaves only the missing API Gateway authorizer to decide: the backend authenticates each caller', () => {
    expect(findingsUnder(behindAlb().app, 'Test/Api').map((f) => f.ruleName)).toEqual(['AwsSolutions-APIG4']);
  });

  describe('misuse', () => {
    it.each<[string, Options]>([
      ['a rate of 0', { rateLimit: 0 }],
      ['a fractional burst', { burstLimit: 1.5 }],
    ])('refuses %s', (_, options) => {
      expect(() => behindLambda(options)).toThrow(NovaCostError);
      expect(() => behindLambda(options)).toThrow(/rateLimit must be above 0 and burstLimit a positive integer/);
    });

    it('refuses a timeout above the 30 s an HTTP API allows', () => {
      expect(() => behindLambda({ timeout: Duration.seconds(60) })).toThrow(/between 50 milliseconds and 29 seconds/);
    });
  });
});
