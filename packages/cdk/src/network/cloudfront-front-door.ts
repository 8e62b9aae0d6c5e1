import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface CloudFrontFrontDoorProps {
  /** The public load balancer CloudFront forwards to. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Cache policy; API calls are POSTs with per-request bodies, so the default forwards without caching. @default cloudfront.CachePolicy.CACHING_DISABLED */
  readonly cachePolicy?: cloudfront.ICachePolicy;
  /** @default cloudfront.PriceClass.PRICE_CLASS_100 (the cheapest edge set) */
  readonly priceClass?: cloudfront.PriceClass;
  /** Whether CloudFront talks to the ALB over HTTPS (needs a certificate on the ALB). @default false */
  readonly originHttps?: boolean;
  /** Access logs bucket. @default - no access logs */
  readonly logBucket?: s3.IBucket;
}

/** CloudFront in front of the public ALB: cheaper egress than the ALB's own, and an edge cache where responses allow it. */
export class CloudFrontFrontDoor extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: CloudFrontFrontDoorProps) {
    super(scope, id);
    tagCostCategory(this, 'network');
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: props.logBucket !== undefined,
      logBucket: props.logBucket,
      defaultBehavior: {
        origin: new origins.LoadBalancerV2Origin(props.loadBalancer, {
          protocolPolicy: props.originHttps
            ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY
            : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: props.cachePolicy ?? cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
  }
}
