import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CostAwareVpc } from '../network/cost-aware-vpc';
import { VectorSearch, type VectorSearchProps } from './vector-search';

function synth(props: VectorSearchProps = {}, options: { vpc?: boolean; grant?: boolean } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const vpc = options.vpc ? new CostAwareVpc(stack, 'Network').vpc : undefined;
  const search = new VectorSearch(stack, 'Vectors', { ...props, vpc });
  const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  if (options.grant ?? true) search.grantReadWrite(role);
  return { app, stack, search, role, template: () => Template.fromStack(stack) };
}

/** AwsSolutions findings on the construct under test (the fixture VPC has its own, acknowledged by the app). */
function findingsUnder(app: App, path: string): unknown[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith(path)));
}

/** The policy document of the one OpenSearch Serverless policy of `type`, parsed from the template. */
function policyOf(template: Template, resource: string, type: string): unknown {
  const [policy] = Object.values(template.findResources(resource, { Properties: { Type: type } }));
  const value = policy!.Properties.Policy as string | { 'Fn::Join': [string, unknown[]] };
  return typeof value === 'string' ? JSON.parse(value) : value;
}

describe(VectorSearch, () => {
  describe('having the default engine, S3 Vectors', () => {
    it('creates an SSE-S3 vector bucket and a float32 cosine index of 1024 dimensions, and nothing with a capacity floor', () => {
      const template = synth().template();
      template.hasResourceProperties('AWS::S3Vectors::VectorBucket', {
        EncryptionConfiguration: { SseType: 'AES256' },
      });
      template.hasResourceProperties('AWS::S3Vectors::Index', {
        DataType: 'float32',
        Dimension: 1024,
        DistanceMetric: 'cosine',
        VectorBucketArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('S3VectorsBucket'), 'VectorBucketArn'] },
      });
      expect(Object.keys(template.findResources('AWS::OpenSearchServerless::Collection'))).toEqual([]);
    });

    it('grants vector reads, writes and queries on the index only, and names the index to the application', () => {
      const { template, search, stack } = synth();
      template().hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                's3vectors:PutVectors',
                's3vectors:GetVectors',
                's3vectors:QueryVectors',
                's3vectors:DeleteVectors',
                's3vectors:ListVectors',
              ],
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('S3VectorsIndex'), 'IndexArn'] },
            },
          ],
        },
      });
      expect(stack.resolve(search.environment)).toEqual({
        VECTOR_ENGINE: 's3-vectors',
        VECTOR_INDEX_ARN: { 'Fn::GetAtt': [expect.stringMatching(/S3VectorsIndex/), 'IndexArn'] },
      });
    });

    it('takes the dimension, metric and non-filterable metadata keys of the embedding model', () => {
      synth({ dimension: 256, distanceMetric: 'euclidean', nonFilterableMetadataKeys: ['text'] })
        .template()
        .hasResourceProperties('AWS::S3Vectors::Index', {
          Dimension: 256,
          DistanceMetric: 'euclidean',
          MetadataConfiguration: { NonFilterableMetadataKeys: ['text'] },
        });
    });

    it('passes the AwsSolutions checks', () => {
      expect(findingsUnder(synth().app, 'Test/Vectors')).toEqual([]);
    });
  });

  describe('having OpenSearch Serverless outside production', () => {
    const engine = 'opensearch-serverless' as const;

    it('creates a vector collection without standby replicas in a group whose ceiling is 2 indexing and 2 search OCUs', () => {
      const template = synth({ engine }).template();
      template.hasResourceProperties('AWS::OpenSearchServerless::CollectionGroup', {
        Generation: 'CLASSIC',
        StandbyReplicas: 'DISABLED',
        CapacityLimits: { MaxIndexingCapacityInOcu: 2, MaxSearchCapacityInOcu: 2 },
      });
      const [group] = Object.values(template.findResources('AWS::OpenSearchServerless::CollectionGroup'));
      template.hasResourceProperties('AWS::OpenSearchServerless::Collection', {
        Type: 'VECTORSEARCH',
        StandbyReplicas: 'DISABLED',
        CollectionGroupName: group!.Properties.Name,
      });
    });

    it('encrypts with the AWS-owned key and depends on its policies, so the collection can be created', () => {
      const { template, search } = synth({ engine });
      const name = search.collection!.name;
      expect(policyOf(template(), 'AWS::OpenSearchServerless::SecurityPolicy', 'encryption')).toEqual({
        Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }],
        AWSOwnedKey: true,
      });
      const [collection] = Object.values(template().findResources('AWS::OpenSearchServerless::Collection'));
      expect(collection!.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/EncryptionPolicy/),
          expect.stringMatching(/NetworkPolicy/),
          expect.stringMatching(/Group/),
        ]),
      );
    });

    it('admits only the granted role in its data access policy, and grants it aoss:APIAccessAll on the collection', () => {
      const { template, stack, role } = synth({ engine });
      const policy = JSON.stringify(policyOf(template(), 'AWS::OpenSearchServerless::AccessPolicy', 'data'));
      expect(policy).toContain(JSON.stringify(stack.resolve(role.roleArn)).slice(1, -1));
      expect(policy).toMatch(/aoss:WriteDocument/);
      template().hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'aoss:APIAccessAll',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Collection'), 'Arn'] },
            },
          ],
        },
      });
    });

    it('is reachable from the network by default, and only through its own VPC endpoint when given a VPC', () => {
      expect(policyOf(synth({ engine }).template(), 'AWS::OpenSearchServerless::SecurityPolicy', 'network')).toEqual([
        expect.objectContaining({ AllowFromPublic: true }),
      ]);
      const template = synth({ engine }, { vpc: true }).template();
      template.resourceCountIs('AWS::OpenSearchServerless::VpcEndpoint', 1);
      expect(JSON.stringify(policyOf(template, 'AWS::OpenSearchServerless::SecurityPolicy', 'network'))).toMatch(
        /"AllowFromPublic\\":false,\\"SourceVPCEs\\":\[\\"",\{"Fn::GetAtt":\["\w*VpcEndpoint\w*","Id"\]/,
      );
    });

    it('keeps standby replicas in production and states a raised ceiling', () => {
      const template = synth({ engine, production: true, maxIndexingOcu: 4, maxSearchOcu: 6 }).template();
      template.hasResourceProperties('AWS::OpenSearchServerless::CollectionGroup', {
        StandbyReplicas: 'ENABLED',
        CapacityLimits: { MaxIndexingCapacityInOcu: 4, MaxSearchCapacityInOcu: 6 },
      });
      template.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'ENABLED' });
    });

    it('passes the AwsSolutions checks', () => {
      expect(findingsUnder(synth({ engine }, { vpc: true }).app, 'Test/Vectors')).toEqual([]);
    });

    describe('misuse', () => {
      it('fails synth when no role was granted, since nobody could use the collection', () => {
        const { app } = synth({ engine }, { grant: false });
        expect(() => app.synth()).toThrow(/no principal may use it; call grantReadWrite\(role\)/);
      });

      it.each<[string, VectorSearchProps, RegExp]>([
        [
          'a ceiling under the 2 OCUs CloudFormation accepts',
          { engine, maxSearchOcu: 1 },
          /maxSearchOcu must be at least 2 OCU/,
        ],
        ['a name OpenSearch Serverless refuses', { engine, name: 'Vectors_1' }, /name must be 3\.\.24 characters/],
      ])('refuses %s', (_, props, message) => {
        expect(() => synth(props)).toThrow(NovaCostError);
        expect(() => synth(props)).toThrow(message);
      });
    });
  });

  describe('misuse', () => {
    it.each<[string, VectorSearchProps, RegExp]>([
      [
        'an unknown engine',
        { engine: 'pinecone' as never },
        /engine must be one of s3-vectors, opensearch-serverless, got "pinecone"/,
      ],
      ['a dimension over 4096', { dimension: 5000 }, /dimension must be an integer in 1\.\.4096/],
      [
        'more than 10 non-filterable keys',
        { nonFilterableMetadataKeys: Array.from({ length: 11 }, (_, i) => `k${i}`) },
        /at most 10 keys/,
      ],
    ])('refuses %s', (_, props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });
});
