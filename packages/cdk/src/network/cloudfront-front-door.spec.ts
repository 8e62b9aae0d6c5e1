import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, expect, it } from 'vitest';
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

  it('passes the viewer Host through to the ALB, since SigV4 signatures cover it', () => {
    synth().hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        // The managed AllViewer policy; AllViewerExceptHostHeader (b689b0a8-…) would swap in the ALB's host name.
        DefaultCacheBehavior: Match.objectLike({ OriginRequestPolicyId: '216adef6-5c7f-47e4-b989-5492eafa07d3' }),
      }),
    });
  });

  it('waits 60 s for the ALB by default, the most CloudFront allows without a quota increase', () => {
    const origin = (t: Template) =>
      Object.values(t.findResources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig.Origins[0];
    expect(origin(synth()).CustomOriginConfig.OriginReadTimeout).toBe(60);
    expect(origin(synth({ readTimeout: Duration.seconds(45) })).CustomOriginConfig.OriginReadTimeout).toBe(45);
    expect(origin(synth()).OriginCustomHeaders).toBeUndefined();
  });

  it('adds the origin custom headers it is given to every request to the ALB', () => {
    synth({ originCustomHeaders: { 'X-Origin-Verify': 'shared-value' } }).hasResourceProperties(
      'AWS::CloudFront::Distribution',
      {
        DistributionConfig: Match.objectLike({
          Origins: [
            Match.objectLike({ OriginCustomHeaders: [{ HeaderName: 'X-Origin-Verify', HeaderValue: 'shared-value' }] }),
          ],
        }),
      },
    );
  });

  it('uses the cache policy, price class and origin protocol it is given', () => {
    synth({
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      originHttps: true,
    }).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        PriceClass: 'PriceClass_All',
        DefaultCacheBehavior: Match.objectLike({ CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' }),
        Origins: [Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) })],
      }),
    });
  });
});
