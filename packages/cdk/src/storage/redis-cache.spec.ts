import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { RedisCache, type RedisCacheProps } from './redis-cache';

function synth(props: Partial<RedisCacheProps> = {}, natGateways = 1) {
  const stack = new Stack(new App(), 'Test');
  // Without NAT, the default subnet configuration would have no private subnets at all: ask for isolated ones.
  const subnetConfiguration =
    natGateways > 0
      ? undefined
      : [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
          { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        ];
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways, maxAzs: 2, subnetConfiguration });
  const cache = new RedisCache(stack, 'Cache', { vpc, ...props });
  const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
  cache.allowFrom(client);
  return { template: Template.fromStack(stack), stack, cache };
}

describe(RedisCache, () => {
  it('requires Redis AUTH with a generated 64-character token from Secrets Manager, never written in the template', () => {
    const { template, stack, cache } = synth();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    const tokenRef = stack.resolve(cache.authToken.secretArn);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', tokenRef, ':SecretString:::}}']] },
    });
  });

  it('sits in the isolated subnets of a VPC without NAT, since it needs no egress', () => {
    const { template } = synth({}, 0);
    const isolated = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) => id.includes('Isolated'));
    expect(isolated).toHaveLength(2);
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', { SubnetIds: isolated.map((id) => ({ Ref: id })) });
  });

  it('runs 2 encrypted cache.t4g.small nodes with failover in private subnets, reachable only from allowed groups', () => {
    const { template, stack, cache } = synth();
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      CacheNodeType: 'cache.t4g.small',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Port: 6379,
    });
    const privateSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) =>
      id.includes('Private'),
    );
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: privateSubnets.map((id) => ({ Ref: id })),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Client'), 'GroupId'] },
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { FromPort: 6379 }, 1);
    expect(JSON.stringify(stack.resolve(cache.url))).toMatch(
      /rediss:\/\/.*PrimaryEndPoint\.Address.*PrimaryEndPoint\.Port/,
    );
  });

  it('applies node type, count and port overrides; one node turns failover off', () => {
    synth({ nodeType: 'cache.t4g.micro', nodes: 1, port: 6380 }).template.hasResourceProperties(
      'AWS::ElastiCache::ReplicationGroup',
      {
        CacheNodeType: 'cache.t4g.micro',
        NumCacheClusters: 1,
        AutomaticFailoverEnabled: false,
        Port: 6380,
      },
    );
  });

  it.each([0, 7, 1.5])('refuses %s nodes', (nodes) => {
    expect(() => synth({ nodes })).toThrow(NovaCostError);
  });
});
