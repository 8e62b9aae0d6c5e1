import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type BuildAppOptions } from './app';

const HANDLER = { code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });') };

function build(options: Partial<BuildAppOptions> = {}) {
  const built = buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['finops@example.com'], ...options });
  built.app.synth();
  return { ...built, template: Template.fromStack(built.stack) };
}

describe('the serverless parts of the NovaCost stack', () => {
  it('are all off by default: no Lambda, queue, vector store or HTTP API', () => {
    const { template } = build();
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::SQS::Queue',
      'AWS::S3Vectors::Index',
      'AWS::OpenSearchServerless::Collection',
      'AWS::ApiGatewayV2::Api',
    ]) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
  });

  describe('having the event processor, S3 Vectors and the HTTP API', () => {
    const built = build({ eventProcessor: HANDLER, vectorSearch: 's3-vectors', httpApi: true });

    it('has zero unacknowledged AwsSolutions findings', () => {
      expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
    });

    it('runs the event processor in the private subnets, pointed at the gateway’s internal ALB and the vector index', () => {
      const { template } = built;
      const [fn] = Object.values(
        template.findResources('AWS::Lambda::Function', { Properties: { Architectures: ['arm64'] } }),
      );
      const env = fn!.Properties.Environment.Variables;
      expect(env.NOVA_COST_ENDPOINT).toEqual({
        'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [expect.stringMatching(/^Endpoint/), 'DNSName'] }]],
      });
      expect(env).toMatchObject({
        VECTOR_ENGINE: 's3-vectors',
        VECTOR_INDEX_ARN: { 'Fn::GetAtt': [expect.stringMatching(/VectorSearch/), 'IndexArn'] },
      });
      const privateSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) =>
        /private/i.test(id),
      );
      expect(fn!.Properties.VpcConfig.SubnetIds).toEqual(privateSubnets.map((id) => ({ Ref: id })));
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3vectors:QueryVectors']) })]),
        },
        Roles: [{ Ref: Match.stringLikeRegexp('^EventProcessorRole') }],
      });
    });

    it('puts the HTTP API in front of the internal ALB’s listener through a VPC link, and outputs its URL and the queue', () => {
      const { template } = built;
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        ConnectionType: 'VPC_LINK',
        IntegrationUri: { Ref: Match.stringLikeRegexp('^EndpointHttp') },
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
      expect(Object.keys(template.toJSON().Outputs)).toEqual(
        expect.arrayContaining(['HttpApiUrl', 'EventQueueUrl', 'VECTORINDEXARN']),
      );
    });
  });

  describe('having OpenSearch Serverless', () => {
    it('admits the event processor’s role in the data access policy, keeps standby replicas only in production, and passes the checks', () => {
      const { app, template, stack } = build({ eventProcessor: HANDLER, vectorSearch: 'opensearch-serverless' });
      const [policy] = Object.values(template.findResources('AWS::OpenSearchServerless::AccessPolicy'));
      expect(JSON.stringify(policy!.Properties.Policy)).toContain(
        stack.getLogicalId(stack.serverless.eventProcessor!.function.role!.node.defaultChild as never),
      );
      template.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'DISABLED' });
      template.resourceCountIs('AWS::OpenSearchServerless::VpcEndpoint', 1);
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
      build({
        eventProcessor: HANDLER,
        vectorSearch: 'opensearch-serverless',
        production: true,
      }).template.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'ENABLED' });
    });
  });

  describe('having context keys', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-processor-'));
    fs.writeFileSync(path.join(dir, 'main.js'), 'exports.run = async () => ({ batchItemFailures: [] });');
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads -c eventProcessorCode (a directory), eventProcessorHandler, vectorSearch and httpApi', () => {
      const app = new App({
        context: {
          eventProcessorCode: dir,
          eventProcessorHandler: 'main.run',
          vectorSearch: 's3-vectors',
          httpApi: 'true',
        },
      });
      const { template } = build({ app });
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'main.run', Architectures: ['arm64'] });
      template.resourceCountIs('AWS::S3Vectors::Index', 1);
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    });

    it('leaves a part off for -c httpApi=false and -c vectorSearch=none', () => {
      const { template } = build({ app: new App({ context: { httpApi: 'false', vectorSearch: 'none' } }) });
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
      template.resourceCountIs('AWS::S3Vectors::Index', 0);
    });
  });

  describe('misuse', () => {
    it.each<[string, () => unknown, RegExp]>([
      [
        'an HTTP API with a public endpoint',
        () => build({ httpApi: true, publicEndpoint: true }),
        /^httpApi needs the internal endpoint \(publicEndpoint false\)/,
      ],
      [
        'OpenSearch with no role to admit',
        () => build({ vectorSearch: 'opensearch-serverless' }),
        /vectorSearch opensearch-serverless needs eventProcessorCode/,
      ],
      [
        '-c httpApi=yes',
        () => build({ app: new App({ context: { httpApi: 'yes' } }) }),
        /-c httpApi must be true or false, got "yes"/,
      ],
      [
        '-c vectorSearch=pinecone',
        () => build({ app: new App({ context: { vectorSearch: 'pinecone' } }) }),
        /-c vectorSearch must be none, s3-vectors or opensearch-serverless, got "pinecone"/,
      ],
    ])('refuses %s, naming the option', (_, act, message) => {
      expect(act).toThrow(NovaCostError);
      expect(act).toThrow(message);
    });
  });
});
