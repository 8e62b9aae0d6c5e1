import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpAlbIntegration, HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

/** The backend of the API: a Lambda function, or an ALB listener reached through a VPC link. */
export type HttpApiBackend =
  | { readonly kind: 'lambda'; readonly handler: lambda.IFunction }
  | { readonly kind: 'alb'; readonly listener: elbv2.IApplicationListener; readonly vpc: ec2.IVpc };

export interface HttpApiFrontDoorProps {
  readonly backend: HttpApiBackend;
  /** Steady requests per second the stage admits before answering 429. @default 50 */
  readonly rateLimit?: number;
  /** Requests the stage admits in a burst above the rate. @default 100 */
  readonly burstLimit?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * How long API Gateway waits for the backend before it answers 503. HTTP APIs allow 30 s at most: a Converse call or
   * a deferrable batch that takes longer must go to the ALB (or CloudFront) directly.
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
}

/**
 * Who called what, how it went and how long the backend took: the request id, never headers (API keys) or bodies
 * (prompts).
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * An API Gateway HTTP API (a fraction of a REST API's price per million requests) in front of a Lambda function or
 * the gateway's private ALB. A VPC link of an HTTP API has no hourly charge, unlike a REST API's, which needs an NLB.
 * Every route is throttled at the stage, and access logs go to a log group with a retention.
 */
export class HttpApiFrontDoor extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly vpcLink: apigwv2.VpcLink | undefined;
  /** The https:// URL of the API's default stage. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: HttpApiFrontDoorProps) {
    super(scope, id);
    tagCostCategory(this, 'network');
    const rateLimit = props.rateLimit ?? 50;
    const burstLimit = props.burstLimit ?? 100;
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new NovaCostError(
        'configuration',
        `rateLimit must be above 0 and burstLimit a positive integer, got ${rateLimit} and ${burstLimit}`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(29);

    let integration: apigwv2.HttpRouteIntegration;
    if (props.backend.kind === 'lambda') {
      integration = new HttpLambdaIntegration('Lambda', props.backend.handler, { timeout });
    } else {
      const { listener, vpc } = props.backend;
      const securityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
        vpc,
        description: 'API Gateway VPC link to the ALB listener',
        allowAllOutbound: false,
      });
      listener.connections.allowDefaultPortFrom(securityGroup, 'the API Gateway VPC link');
      this.vpcLink = new apigwv2.VpcLink(this, 'VpcLink', { vpc, securityGroups: [securityGroup] });
      integration = new HttpAlbIntegration('Alb', listener, { vpcLink: this.vpcLink, timeout });
    }

    this.api = new apigwv2.HttpApi(this, 'Api', { defaultIntegration: integration, createDefaultStage: false });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;
  }
}
