import { Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { NovaCostStack } from './nova-cost.stack';

function ack(scope: IConstruct | undefined, id: string, reason: string): void {
  if (scope) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Every AwsSolutions finding we accept, each on the narrowest construct and with its reason. A new finding is not
 * acknowledged here on purpose: it fails the nag spec until someone decides.
 */
export function acknowledgeNagFindings(stack: NovaCostStack): void {
  const vpcScope = stack.node.findChild('Network');
  const taskDefinition = stack.gateway.taskDefinition;
  const bucketId = stack.getLogicalId(stack.content.bucket.node.defaultChild as CfnElement);

  ack(
    vpcScope.node.tryFindChild('Vpc')?.node.tryFindChild('BedrockRuntime'),
    'AwsSolutions-EC23',
    'The endpoint security group admits only the VPC CIDR; the rule cannot read the CIDR token and errs.',
  );
  ack(
    stack.loadBalancer,
    'AwsSolutions-EC23',
    'The load balancer admits the VPC CIDR (internal), or the world on port 80 when publicEndpoint is chosen: behind CloudFront it forwards only requests carrying the origin-verify header value.',
  );
  ack(
    stack.node.findChild('Cluster'),
    'AwsSolutions-ECS4',
    'Container Insights is billed per metric; the cost dashboard and the gateway metrics (NovaCost namespace) cover what we watch.',
  );
  ack(
    stack.cache.replicationGroup,
    'AwsSolutions-AEC5',
    'The cache security group admits only the gateway service; a non-default port adds no protection on top of that.',
  );
  ack(
    stack.node.findChild('Content'),
    'AwsSolutions-S1',
    'Server access logs would cost a log bucket and a PUT per request; enable CloudTrail S3 data events when an audit needs object access history.',
  );
  const s3Findings = ['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'].map((a) => `Action::s3:${a}`);
  for (const finding of [...s3Findings, `Resource::<${bucketId}.Arn>/*`]) {
    ack(
      taskDefinition.taskRole,
      `AwsSolutions-IAM5[${finding}]`,
      'grantReadWrite on the content bucket: the wildcards are action families and object keys of that one bucket only.',
    );
  }
  const batch = stack.batchInference;
  if (batch) {
    // cdk-nag names the ARNs as the template has them: a literal account and region, or their pseudo parameters.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const objects = (keys: string) => `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${batch.prefix}${keys}]`;
    ack(
      batch.serviceRole,
      objects('batches/*/input/*'),
      'Bedrock reads the input file of each batch job it runs: the wildcard is the batch id, minted per job, under the async prefix of the content bucket only.',
    );
    ack(
      batch.serviceRole,
      objects('batches/*/output/*'),
      'Bedrock writes each job output under a folder named by the job id it mints: the wildcards are the batch and job ids, under the async prefix of the content bucket only.',
    );
    ack(
      taskDefinition.taskRole,
      objects('*'),
      'The async API keeps its state (waiting calls, ended invocations, batch files) under its own prefix of the content bucket; the keys are invocation and batch ids minted at run time.',
    );
    ack(
      taskDefinition.taskRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:${region}:${account}:model-invocation-job/*]`,
      'Bedrock mints a batch job ARN at CreateModelInvocationJob: the wildcard covers the batch jobs of this account and region only (create, get, stop); create is also scoped to the stack’s models and profiles, never a model wildcard.',
    );
    ack(
      taskDefinition.taskRole,
      'AwsSolutions-IAM5[Resource::*]',
      'bedrock:ListModelInvocationJobs (finding a job created just before a restart) is a list action without resource-level permissions; it is the only action granted on "*" to this role.',
    );
  }
  ack(
    taskDefinition.executionRole,
    'AwsSolutions-IAM5[Resource::*]',
    'ecr:GetAuthorizationToken has no resource-level permissions; it must be granted on "*".',
  );
  ack(
    taskDefinition,
    'AwsSolutions-ECS2',
    'The environment holds endpoints and resource names (REDIS_URL host, table and bucket names, region), no secrets; the tenants document comes from Secrets Manager through ECS secrets.',
  );
  if (stack.tenantsSecretOwned) {
    ack(
      stack.tenantsSecret,
      'AwsSolutions-SMG4',
      'The secret holds tenant API keys and SigV4 secrets issued to callers; rotating them means handing new keys to tenants, which no rotation Lambda can do.',
    );
  }
  ack(
    stack.cache.authToken,
    'AwsSolutions-SMG4',
    'The Redis AUTH token is resolved into the replication group at deploy time and read by the tasks at start; a rotation Lambda would change the secret without ElastiCache (which needs a ROTATE/SET auth-token update) or the running tasks. Rotate it by replacing the secret in a deploy.',
  );
  ack(
    stack.originVerifySecret,
    'AwsSolutions-SMG4',
    'The origin-verify value is resolved into the CloudFront header and the ALB rule at deploy time; a rotation Lambda would change the secret without them. Rotate it by replacing the secret in a deploy.',
  );
  ack(
    stack.loadBalancer,
    'AwsSolutions-ELB2',
    'ALB access logs cost storage per request; the gateway logs every request (without prompt bodies) to CloudWatch Logs.',
  );
  ack(
    stack.serverless.eventProcessor?.function.role,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    'The event processor runs in the VPC to reach the internal gateway; this AWS policy holds only the ENI actions Lambda needs for that, which take no resource-level permissions.',
  );
  ack(
    stack.serverless.httpApi?.api.node.tryFindChild('DefaultRoute'),
    'AwsSolutions-APIG4',
    'The gateway authenticates every request itself (API key or SigV4) before reading the body; an API Gateway authorizer would bill a second check per call.',
  );
  const distribution = stack.frontDoor?.distribution;
  ack(
    distribution,
    'AwsSolutions-CFR1',
    'The gateway serves callers worldwide; who may call is decided by API key or SigV4 at the gateway, not by country.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR2',
    'WAF is billed per web ACL, rule and request; callers authenticate at the gateway. Attach a web ACL when abuse shows up.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR3',
    'Access logs cost storage per request; the gateway logs every request (without prompt bodies) to CloudWatch Logs.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR4',
    'The default *.cloudfront.net certificate cannot enforce TLS 1.2; with a custom domain and certificate the construct sets TLSv1.2_2021.',
  );
  ack(
    distribution,
    'AwsSolutions-CFR5',
    'The ALB has no certificate by default, so CloudFront reaches it over HTTP inside AWS; set originHttps with an ALB certificate to use TLS 1.2.',
  );
}
