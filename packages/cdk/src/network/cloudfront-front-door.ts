import { Duration } from 'aws-cdk-lib';
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
  /**
   * How long CloudFront waits for the first byte (and between bytes) of the ALB's answer before it answers 504. A
   * Converse call or a deferrable batch can take most of a minute; 60 s is the most CloudFront allows without a quota
   * increase ("Response timeout per origin", up to 180 s).
   * @default Duration.seconds(60)
   */
  readonly readTimeout?: Duration;
  /**
   * Headers CloudFront adds to every request to the ALB, overwriting a viewer's header of the same name, e.g. a
   * shared value the ALB requires so that only CloudFront can reach it.
   * @default - none
   */
  readonly originCustomHeaders?: Readonly<Record<string, string>>;
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
          readTimeout: props.readTimeout ?? Duration.seconds(60),
          ...(props.originCustomHeaders ? { customHeaders: { ...props.originCustomHeaders } } : {}),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: props.cachePolicy ?? cloudfront.CachePolicy.CACHING_DISABLED,
        // The viewer's Host goes through unchanged: a SigV4 signature covers Host, so the gateway must see the one the
        // caller signed (the distribution's domain). The ALB, an HTTP origin without host-based rules, accepts any Host.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
      },
    });
  }
}
