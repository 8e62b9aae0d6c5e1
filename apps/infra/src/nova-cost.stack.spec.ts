import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '@nova-cost/gateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { TENANTS_PLACEHOLDER, type NovaCostStack } from './nova-cost.stack';

/** Every acknowledgement recorded in the tree: rule id → reason. */
function acknowledgements(app: App): Array<{ path: string; id: string; reason: string }> {
  return app.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason })),
        ),
    );
}

type CfnValue = string | { [fn: string]: unknown };

/** Resolves the few intrinsics a container environment holds, the way CloudFormation would at deploy time. */
function resolved(value: CfnValue): string {
  if (typeof value === 'string') return value;
  const join = value['Fn::Join'] as [string, CfnValue[]] | undefined;
  if (join) return join[1].map(resolved).join(join[0]);
  const att = value['Fn::GetAtt'] as [string, string] | undefined;
  if (att?.[1] === 'PrimaryEndPoint.Address') return 'master.nova-cost.abc123.apne1.cache.amazonaws.com';
  if (att?.[1] === 'PrimaryEndPoint.Port') return '6379';
  if (att?.[1] === 'Arn') return `arn:aws:iam::111111111111:role/resolved-${att[0].toLowerCase()}`;
  if (value['Ref']) return `resolved-${String(value['Ref']).toLowerCase()}`;
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}

/** The attributes of the one resource of `type`, as a key → value map. */
function attributes(template: Template, type: string, property: string): Record<string, string> {
  const [resource] = Object.values(template.findResources(type));
  return Object.fromEntries(
    (resource!.Properties[property] as Array<{ Key: string; Value: string }>).map((a) => [a.Key, a.Value]),
  );
}

function gatewayContainer(template: Template): {
  Environment: Array<{ Name: string; Value: CfnValue }>;
  Secrets: Array<{ Name: string; ValueFrom: CfnValue }>;
  HealthCheck: { Command: string[] };
  StopTimeout: number;
} {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  return taskDefinition!.Properties.ContainerDefinitions[0];
}

const TENANTS_DOCUMENT = JSON.stringify({ tenants: [{ id: 'acme', apiKeys: ['acme-key-0123456789'] }], policy: {} });

describe('NovaCost app', () => {
  describe('having the defaults (internal endpoint, ap-northeast-1)', () => {
    let app: App;
    let stack: NovaCostStack;
    let template: Template;
    beforeAll(() => {
      ({ app, stack } = buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['finops@example.com'] }));
      // A full synth runs the registered AwsSolutions plugin; any unacknowledged finding throws here.
      app.synth();
      template = Template.fromStack(stack);
    });

    it('has zero unacknowledged AwsSolutions findings', () => {
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });

    it('gives every acknowledgement a written reason', () => {
      const acks = acknowledgements(app);
      expect(acks.length).toBeGreaterThan(5);
      for (const ack of acks) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    });

    it('passes the Redis primary endpoint to the gateway as a rediss:// REDIS_URL', () => {
      const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
      const env = taskDefinition!.Properties.ContainerDefinitions[0].Environment as Array<{
        Name: string;
        Value: unknown;
      }>;
      const redisUrl = JSON.stringify(env.find((e) => e.Name === 'REDIS_URL')?.Value);
      expect(redisUrl).toMatch(/rediss:\/\//);
      expect(redisUrl).toMatch(/CacheReplicationGroup\w+","PrimaryEndPoint.Address"/);
    });

    it('gives the container what the gateway needs to start against real Bedrock, which its own loadConfig accepts', () => {
      const container = gatewayContainer(template);
      const env = Object.fromEntries(container.Environment.map((e) => [e.Name, resolved(e.Value)]));
      expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '8080', AWS_REGION: 'ap-northeast-1' });
      expect(env['NOVA_COST_CONFIG_JSON']).toBeUndefined();
      expect(container.Secrets.map((x) => x.Name)).toEqual(['NOVA_COST_CONFIG_JSON', 'REDIS_PASSWORD']);
      // ECS puts the secrets' values into the variables at task start; the gateway must then accept the whole set.
      const config = loadConfig({
        ...env,
        NOVA_COST_CONFIG_JSON: TENANTS_DOCUMENT,
        REDIS_PASSWORD: 'generated-auth-token',
      });
      expect(config).toMatchObject({
        host: '0.0.0.0',
        port: 8080,
        redis: {
          kind: 'single',
          url: 'rediss://master.nova-cost.abc123.apne1.cache.amazonaws.com:6379',
          password: 'generated-auth-token',
        },
        bedrock: { mode: 'aws', region: 'ap-northeast-1' },
        demo: false,
        asyncInvoke: {
          bucket: resolved({ Ref: stack.getLogicalId(stack.content.bucket.node.defaultChild as CfnElement) }),
          roleArn: resolved({
            'Fn::GetAtt': [
              stack.getLogicalId(stack.batchInference!.serviceRole.node.defaultChild as CfnElement),
              'Arn',
            ],
          }),
          prefix: 'nova-cost/async/',
          local: false,
        },
      });
      // Without the secret the same environment is refused: the demo tenant never reaches paid Bedrock.
      expect(() => loadConfig(env)).toThrow(/NOVA_COST_CONFIG/);
    });

    it('starts the tenants secret with a document the gateway accepts, which lists no tenants, so the first deploy succeeds', () => {
      const [secret] = Object.entries(template.findResources('AWS::SecretsManager::Secret'))
        .filter(([id]) => id.startsWith('TenantsSecret'))
        .map(([, r]) => r);
      // A random value (GenerateSecretString) failed every task at start and the circuit breaker rolled the stack back.
      expect(secret!.Properties.GenerateSecretString).toBeUndefined();
      expect(secret!.Properties.SecretString).toBe(TENANTS_PLACEHOLDER);
      const env = Object.fromEntries(gatewayContainer(template).Environment.map((e) => [e.Name, resolved(e.Value)]));
      const warnings: string[] = [];
      const config = loadConfig(
        { ...env, NOVA_COST_CONFIG_JSON: secret!.Properties.SecretString },
        { warn: (m) => warnings.push(m) },
      );
      expect(config).toMatchObject({ tenants: [], demo: false, bedrock: { mode: 'aws', region: 'ap-northeast-1' } });
      expect(warnings).toEqual([expect.stringMatching(/lists no tenants: every request is refused/)]);
    });

    it('creates and retains the tenants secret, reads it with the execution role only, and outputs its ARN', () => {
      const ids = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
      const secretId = ids.find((id) => id.startsWith('TenantsSecret'));
      const tokenId = ids.find((id) => id.startsWith('CacheAuthToken'));
      expect(secretId).toBeDefined();
      template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(gatewayContainer(template).Secrets).toEqual([
        { Name: 'NOVA_COST_CONFIG_JSON', ValueFrom: { Ref: secretId } },
        { Name: 'REDIS_PASSWORD', ValueFrom: { Ref: tokenId } },
      ]);
      const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
      );
      expect(readers.map((p) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringMatching(/ExecutionRole/)]);
      template.hasOutput('TenantsSecretArn', { Value: { Ref: secretId } });
      expect(stack.tenantsSecretOwned).toBe(true);
    });

    it('keeps a stopping task in the target group longer than the gateway drains, within the container stop timeout', () => {
      const container = gatewayContainer(template);
      const drainMs = Number(resolved(container.Environment.find((e) => e.Name === 'DRAIN_DEADLINE_MS')!.Value));
      const delayS = Number(
        attributes(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'TargetGroupAttributes')[
          'deregistration_delay.timeout_seconds'
        ],
      );
      expect({ drainMs, delayS, stopTimeout: container.StopTimeout }).toEqual({
        drainMs: 110_000,
        delayS: 115,
        stopTimeout: 120,
      });
      // The gateway must accept the value the stack sets.
      expect(loadConfig({ DRAIN_DEADLINE_MS: String(drainMs) }).drainDeadlineMs).toBe(110_000);
    });

    it('lets a connection idle 120 s at the ALB, so long model calls are not cut with a 504', () => {
      expect(attributes(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerAttributes')).toMatchObject(
        {
          'idle_timeout.timeout_seconds': '120',
        },
      );
    });

    it('probes /healthz in the container and /readyz from the ALB, so a draining task leaves the target group', () => {
      expect(gatewayContainer(template).HealthCheck.Command[1]).toMatch(/127\.0\.0\.1:8080\/healthz/);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: '/readyz',
        Port: 8080,
      });
    });

    it('requires Redis AUTH with the generated token, which ECS hands the gateway as REDIS_PASSWORD', () => {
      const tokenId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) =>
        id.startsWith('CacheAuthToken'),
      );
      template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        TransitEncryptionEnabled: true,
        AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: tokenId }, ':SecretString:::}}']] },
      });
      expect(gatewayContainer(template).Secrets).toContainEqual({
        Name: 'REDIS_PASSWORD',
        ValueFrom: { Ref: tokenId },
      });
    });

    it('lets only the gateway service reach Redis, which sits in private subnets with transit encryption', () => {
      const serviceSg = Object.keys(template.findResources('AWS::EC2::SecurityGroup')).find((id) =>
        id.startsWith('GatewayService'),
      );
      const redisIngress = Object.values(
        template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { FromPort: 6379 } }),
      );
      expect(redisIngress.map((r) => r.Properties.SourceSecurityGroupId)).toEqual([
        { 'Fn::GetAtt': [serviceSg, 'GroupId'] },
      ]);
      template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        TransitEncryptionEnabled: true,
        NumCacheClusters: 2,
      });
    });

    it('builds the gateway image from the repository, staged without node_modules', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({ Image: { 'Fn::Sub': Match.stringLikeRegexp('cdk-hnb659fds-container-assets') } }),
        ],
      });
      const assembly = app.synth();
      const manifest = JSON.parse(
        fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
      );
      const [image] = Object.values(manifest.dockerImages) as Array<{
        source: { directory: string; dockerFile: string };
      }>;
      expect(image!.source.dockerFile).toBe('apps/infra/docker/gateway.Dockerfile');
      const staged = path.join(assembly.directory, image!.source.directory);
      expect(fs.existsSync(path.join(staged, 'apps/infra/docker/gateway.Dockerfile'))).toBe(true);
      expect(fs.existsSync(path.join(staged, 'package-lock.json'))).toBe(true);
      expect(fs.existsSync(path.join(staged, 'node_modules'))).toBe(false);
      expect(fs.existsSync(path.join(staged, 'packages/cdk/node_modules'))).toBe(false);
    });

    it('runs the service on the Spot mix and after the capacity-provider association', () => {
      const association = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
      const [service] = Object.values(template.findResources('AWS::ECS::Service'));
      expect(service!.DependsOn).toEqual(expect.arrayContaining(association));
      expect(service!.Properties.CapacityProviderStrategy).toEqual([
        { CapacityProvider: 'FARGATE_SPOT', Weight: 4, Base: 0 },
        { CapacityProvider: 'FARGATE', Weight: 1, Base: 2 },
      ]);
    });

    it('forwards every request on the internal ALB, with no origin-verify secret or rule', () => {
      expect(stack.originVerifySecret).toBeUndefined();
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        DefaultActions: [Match.objectLike({ Type: 'forward' })],
      });
    });

    it('composes the bucket, both tables, the 10,000 USD budget and the dashboard, with an internal ALB and no CloudFront', () => {
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.resourceCountIs('AWS::DynamoDB::Table', 2);
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: Match.objectLike({ BudgetLimit: { Amount: 10000, Unit: 'USD' } }),
      });
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
      template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    });

    it('lets the task role invoke Nova only through the apac. profiles and the regions they route to', () => {
      const taskRole = stack.getLogicalId(stack.gateway.taskDefinition.taskRole.node.defaultChild as CfnElement);
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter(
        (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: taskRole }]),
      );
      const bedrock = policies
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s) => JSON.stringify(s.Action).includes('bedrock:InvokeModel'));
      expect(bedrock).toHaveLength(1);
      const resources = JSON.stringify(bedrock[0].Resource);
      // Tokyo refuses the plain model id for on-demand calls: callers use apac.amazon.nova-*-v1:0.
      expect(resources).toMatch(
        /bedrock:ap-northeast-1:",\{"Ref":"AWS::AccountId"\},":inference-profile\/apac\.amazon\.nova-lite-v1:0/,
      );
      expect(resources).toMatch(/bedrock:ap-southeast-2::foundation-model\/amazon\.nova-pro-v1:0/);
      expect(resources).not.toMatch(/bedrock:us-east-1/);
      expect((bedrock[0].Resource as unknown[]).length).toBe(3 + 3 * 5);
    });
  });

  describe('having the async API (on by default)', () => {
    let app: App;
    let stack: NovaCostStack;
    let template: Template;
    let ids: { bucket: string; serviceRole: string; taskRole: string };
    beforeAll(() => {
      ({ app, stack } = buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['finops@example.com'] }));
      app.synth();
      template = Template.fromStack(stack);
      const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
      ids = {
        bucket: id(stack.content.bucket),
        serviceRole: id(stack.batchInference!.serviceRole),
        taskRole: id(stack.gateway.taskDefinition.taskRole),
      };
    });

    const statementsOf = (roleId: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);

    it('has a batch service role that only Bedrock assumes, for this account’s jobs, reading and writing the prefix only', () => {
      const role = template.findResources('AWS::IAM::Role')[ids.serviceRole]!;
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'bedrock.amazonaws.com' },
          Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
        }),
      ]);
      const statements = statementsOf(ids.serviceRole);
      const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
      expect(s3.map((s) => s.Action)).toEqual(['s3:GetObject', 's3:PutObject', 's3:ListBucket']);
      expect(JSON.stringify(s3)).toMatch(/nova-cost\/async\/batches\/\*\/input\/\*/);
      expect(JSON.stringify(s3)).not.toMatch(/DeleteObject|"\/\*"/);
      // Jobs run through the apac. profiles, as the gateway's calls do: the same models, InvokeModel only.
      const invoke = statements.find((s) => s.Sid === 'InvokeJobModels')!;
      expect(invoke.Action).toBe('bedrock:InvokeModel');
      expect((invoke.Resource as unknown[]).length).toBe(3 + 3 * 5);
    });

    it('lets the task role drive batch jobs and pass that one role to Bedrock', () => {
      const statements = statementsOf(ids.taskRole);
      // Create is authorized against the job and its model: the stack's models and profiles, the same the jobs invoke.
      const create = statements.find((s) => s.Sid === 'CreateBatchJobs')!;
      expect(create.Action).toBe('bedrock:CreateModelInvocationJob');
      expect((create.Resource as unknown[]).length).toBe(1 + 3 + 3 * 5);
      expect(JSON.stringify(create.Resource)).not.toMatch(/foundation-model\/\*|"\*"/);
      expect(statements.find((s) => s.Sid === 'ManageBatchJobs')!.Action).toEqual([
        'bedrock:GetModelInvocationJob',
        'bedrock:StopModelInvocationJob',
      ]);
      expect(statements.find((s) => s.Sid === 'PassBatchServiceRole')).toEqual({
        Sid: 'PassBatchServiceRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [ids.serviceRole, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
      });
      const passRoles = statements.filter((s) => JSON.stringify(s.Action).includes('iam:PassRole'));
      expect(passRoles).toHaveLength(1);
    });

    it('expires the jobs’ files and the ended invocations on the content bucket, beside its own rules', () => {
      const bucket = template.findResources('AWS::S3::Bucket')[ids.bucket]!;
      const rules = bucket.Properties.LifecycleConfiguration.Rules as Array<{ Id: string }>;
      expect(rules.map((r) => r.Id)).toEqual([
        'ProcessedAudioTierDown',
        'DeleteTempFiles',
        'AbortIncompleteMultipartUpload',
        'NovaCostAsyncBatchFiles',
        'NovaCostAsyncResults',
      ]);
      expect(rules.slice(-2)).toEqual([
        expect.objectContaining({ Prefix: 'nova-cost/async/batches/', ExpirationInDays: 14 }),
        expect.objectContaining({ Prefix: 'nova-cost/async/results/', ExpirationInDays: 30 }),
      ]);
    });

    it('passes the bucket, the role and the prefix to the gateway container', () => {
      const env = Object.fromEntries(gatewayContainer(template).Environment.map((e) => [e.Name, e.Value]));
      expect(env).toMatchObject({
        NOVA_COST_ASYNC_BUCKET: { Ref: ids.bucket },
        NOVA_COST_ASYNC_ROLE_ARN: { 'Fn::GetAtt': [ids.serviceRole, 'Arn'] },
        NOVA_COST_ASYNC_PREFIX: 'nova-cost/async/',
      });
    });
  });

  describe('having the async API off (-c asyncInvoke=false)', () => {
    it('creates no batch role, rule, grant or variable, and the gateway then starts with the async API off', () => {
      const app = new App({ context: { asyncInvoke: 'false' } });
      const { stack } = buildApp({ app, env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'] });
      app.synth();
      const template = Template.fromStack(stack);
      expect(stack.batchInference).toBeUndefined();
      expect(JSON.stringify(template.toJSON())).not.toMatch(
        /bedrock\.amazonaws\.com|ModelInvocationJob|NOVA_COST_ASYNC/,
      );
      const env = Object.fromEntries(gatewayContainer(template).Environment.map((e) => [e.Name, resolved(e.Value)]));
      expect(loadConfig({ ...env, NOVA_COST_CONFIG_JSON: TENANTS_DOCUMENT }).asyncInvoke).toBeUndefined();
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });
  });

  describe('having a public endpoint', () => {
    let app: App;
    let template: Template;
    beforeAll(() => {
      const built = buildApp({
        env: { region: 'us-east-1' },
        alertEmails: ['a@example.com'],
        publicEndpoint: true,
        natGateways: 2,
        monthlyBudgetUsd: 500,
      });
      app = built.app;
      app.synth();
      template = Template.fromStack(built.stack);
    });

    it('puts CloudFront in front of an internet-facing ALB and still has zero unacknowledged findings', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
      template.resourceCountIs('AWS::CloudFront::Distribution', 1);
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });

    it('forwards the viewer Host (SigV4 signs it) and waits 60 s for the ALB, which idles longer than that', () => {
      const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
      const config = distribution!.Properties.DistributionConfig;
      expect(config.DefaultCacheBehavior.OriginRequestPolicyId).toBe('216adef6-5c7f-47e4-b989-5492eafa07d3'); // AllViewer
      expect(config.Origins[0].CustomOriginConfig.OriginReadTimeout).toBe(60);
      expect(
        Number(
          attributes(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerAttributes')[
            'idle_timeout.timeout_seconds'
          ],
        ),
      ).toBeGreaterThan(60);
    });

    it('answers /metrics with 404 before any forward rule: Prometheus text is for scrapers inside the VPC', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
        Actions: [
          Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) }),
        ],
      });
    });

    it("forwards to the gateway only requests carrying CloudFront's origin-verify value, and refuses the rest with 403", () => {
      const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) =>
        id.startsWith('OriginVerifySecret'),
      );
      expect(secretId).toBeDefined();
      const value = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] };
      const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
      expect(distribution!.Properties.DistributionConfig.Origins[0].OriginCustomHeaders).toEqual([
        { HeaderName: 'X-Origin-Verify', HeaderValue: value },
      ]);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        DefaultActions: [
          Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '403' }) }),
        ],
      });
      const [targetGroup] = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Priority: 2,
        Conditions: [
          { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: [value] } },
        ],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: targetGroup } }],
      });
      // ECS registers tasks only once the rule ties the target group to the load balancer.
      const [rule] = Object.keys(
        template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule', { Properties: { Priority: 2 } }),
      );
      expect(Object.values(template.findResources('AWS::ECS::Service'))[0]!.DependsOn).toContain(rule);
    });

    it('applies the NAT count and budget overrides', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 2);
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: Match.objectLike({ BudgetLimit: { Amount: 500, Unit: 'USD' } }),
      });
    });
  });

  describe('having no alert e-mail address', () => {
    it('still creates the budget, without notifications, guesses no address, and warns at synth', () => {
      const { app, stack } = buildApp({ env: { region: 'ap-northeast-1' } });
      app.synth();
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: Match.objectLike({ BudgetLimit: { Amount: 10000, Unit: 'USD' } }),
        NotificationsWithSubscribers: Match.absent(),
      });
      expect(JSON.stringify(template.toJSON())).not.toMatch(/example\.com/);
      Annotations.fromStack(stack).hasWarning('/NovaCost/Budget', Match.stringLikeRegexp('no e-mail subscribers'));
    });

    it('reads the addresses from -c alertEmails, comma-separated', () => {
      const app = new App({ context: { alertEmails: 'a@corp.test, b@corp.test' } });
      const { stack } = buildApp({ app, env: { region: 'ap-northeast-1' } });
      const [budget] = Object.values(Template.fromStack(stack).findResources('AWS::Budgets::Budget'));
      expect(
        budget!.Properties.NotificationsWithSubscribers[0].Subscribers.map((s: { Address: string }) => s.Address),
      ).toEqual(['a@corp.test', 'b@corp.test']);
    });
  });

  describe('having no NAT gateway', () => {
    it('refuses natGateways 0, naming the option, since the tasks need egress', () => {
      expect(() => buildApp({ env: { region: 'ap-northeast-1' }, natGateways: 0 })).toThrow(
        /^natGateways must be at least 1 for NovaCostStack/,
      );
    });
  });

  describe('having a public endpoint without CloudFront', () => {
    it('forwards every request but /metrics, since no CloudFront adds the origin-verify header', () => {
      const { app, stack } = buildApp({ env: { region: 'us-east-1' }, publicEndpoint: true, cloudFront: false });
      app.synth();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::CloudFront::Distribution', 0);
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        DefaultActions: [Match.objectLike({ Type: 'forward' })],
      });
      const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
      expect(rules.map((r) => r.Properties.Conditions[0].Field)).toEqual(['path-pattern']);
      expect(stack.originVerifySecret).toBeUndefined();
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });
  });

  describe('having an existing tenants secret', () => {
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:nova-cost/tenants-AbCdEf';

    it('injects it from the tenantsSecretArn context and creates no secret of its own', () => {
      const app = new App({ context: { tenantsSecretArn: arn } });
      const { stack } = buildApp({ app, env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'] });
      app.synth();
      const template = Template.fromStack(stack);
      expect(
        Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) =>
          id.startsWith('TenantsSecret'),
        ),
      ).toEqual([]);
      expect(gatewayContainer(template).Secrets[0]).toEqual({ Name: 'NOVA_COST_CONFIG_JSON', ValueFrom: arn });
      expect(stack.tenantsSecretOwned).toBe(false);
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });

    it('refuses a name or partial ARN, which ECS cannot resolve', () => {
      for (const given of [
        'nova-cost/tenants',
        'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:nova-cost/tenants',
      ]) {
        expect(() =>
          buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'], tenantsSecretArn: given }),
        ).toThrow(/tenantsSecretArn must be a complete secret ARN ending in -XXXXXX/);
      }
    });
  });

  describe('having a resource nobody acknowledged', () => {
    it('fails the synth, naming the rule', () => {
      const { app, stack } = buildApp({ env: { region: 'us-east-1' }, alertEmails: ['a@example.com'] });
      new s3.Bucket(stack, 'Unreviewed', { enforceSSL: true });
      expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
      expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([
        'AwsSolutions-S1',
      ]);
    });
  });
});
