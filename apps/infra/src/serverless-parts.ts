import { CfnOutput } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventProcessor, HttpApiFrontDoor, VectorSearch, type VectorEngine } from '@nova-cost/cdk';
import { NovaCostError } from '@nova-cost/domain';
import type { Construct } from 'constructs';

/** The event processor's handler, built for linux-arm64. */
export interface EventProcessorCode {
  readonly code: lambda.Code;
  /** @default 'index.handler' */
  readonly handler?: string;
}

/** The optional serverless parts of the stack, each off by default. */
export interface ServerlessPartsProps {
  /** An SQS-fed Lambda in the VPC that calls the gateway's internal endpoint. @default - none */
  readonly eventProcessor?: EventProcessorCode;
  /** Vector search for the application's embeddings, granted to the event processor. @default - none */
  readonly vectorSearch?: VectorEngine;
  /** An HTTP API in front of the internal ALB, through a VPC link (the public door of an internal stack). @default false */
  readonly httpApi?: boolean;
  /** Production keeps OpenSearch Serverless standby replicas. @default false */
  readonly production?: boolean;
}

export interface ServerlessParts {
  readonly eventProcessor: EventProcessor | undefined;
  readonly vectorSearch: VectorSearch | undefined;
  readonly httpApi: HttpApiFrontDoor | undefined;
}

interface Surroundings {
  readonly vpc: ec2.IVpc;
  readonly listener: elbv2.IApplicationListener;
  /** http:// URL of the gateway's load balancer. */
  readonly gatewayUrl: string;
  readonly publicEndpoint: boolean;
}

/** Adds what the props ask for: none of it costs anything at idle but the dead-letter alarm and OpenSearch's OCUs. */
export function addServerlessParts(
  scope: Construct,
  props: ServerlessPartsProps,
  around: Surroundings,
): ServerlessParts {
  if (props.httpApi && around.publicEndpoint) {
    throw new NovaCostError(
      'configuration',
      'httpApi needs the internal endpoint (publicEndpoint false): the HTTP API is then the public door, reaching the internal ALB through a VPC link',
    );
  }
  if (props.vectorSearch === 'opensearch-serverless' && !props.eventProcessor) {
    throw new NovaCostError(
      'configuration',
      'vectorSearch opensearch-serverless needs eventProcessorCode: its data access policy must name the role that uses the collection',
    );
  }
  const eventProcessor = props.eventProcessor
    ? new EventProcessor(scope, 'EventProcessor', {
        code: props.eventProcessor.code,
        handler: props.eventProcessor.handler,
        vpc: around.vpc,
        environment: { NOVA_COST_ENDPOINT: around.gatewayUrl },
      })
    : undefined;
  const vectorSearch = props.vectorSearch
    ? new VectorSearch(scope, 'VectorSearch', {
        engine: props.vectorSearch,
        production: props.production,
        vpc: around.vpc,
      })
    : undefined;
  if (eventProcessor && vectorSearch) {
    vectorSearch.grantReadWrite(eventProcessor.function.role!);
    for (const [name, value] of Object.entries(vectorSearch.environment))
      eventProcessor.function.addEnvironment(name, value);
  }
  const httpApi = props.httpApi
    ? new HttpApiFrontDoor(scope, 'HttpApi', { backend: { kind: 'alb', listener: around.listener, vpc: around.vpc } })
    : undefined;

  if (eventProcessor)
    new CfnOutput(scope, 'EventQueueUrl', { value: eventProcessor.queue.queueUrl, description: 'Send events here' });
  for (const [name, value] of Object.entries(vectorSearch?.environment ?? {}))
    new CfnOutput(scope, name.replace(/_/g, ''), { value });
  if (httpApi)
    new CfnOutput(scope, 'HttpApiUrl', { value: httpApi.url, description: 'The gateway through the HTTP API' });
  return { eventProcessor, vectorSearch, httpApi };
}
