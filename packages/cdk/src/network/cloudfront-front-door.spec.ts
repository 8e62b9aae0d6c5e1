import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, it } from 'vitest';
import { CloudFrontFrontDoor, type CloudFrontFrontDoorProps } from './cloudfront-front-door';

function synth(props: Partial<CloudFrontFrontDoorProps> = {}): Template {
  const stack = new Stack(new App(), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2 });
  const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  new CloudFrontFrontDoor(stack, 'Edge', { loadBalancer, ...props });
  return Template.fromStack(stack);
}

describe(CloudFrontFrontDoor, () => {
  it('forwards every method to the ALB without caching, HTTPS to viewers, on the cheapest price class', () => {
    synth().hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        PriceClass: 'PriceClass_100',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: Match.arrayWith(['POST']),
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        }),
        Origins: [Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'http-only' }) })],
      }),
    });
  });

  it('uses the cache policy, price class and origin protocol it is given', () => {
    synth({ cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED, priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL, originHttps: true })
      .hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          PriceClass: 'PriceClass_All',
          DefaultCacheBehavior: Match.objectLike({ CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' }),
          Origins: [Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })],
        }),
      });
  });
});
