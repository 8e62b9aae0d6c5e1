import type { AsyncInvocations, DeferredCallState, JsonObject } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import type { AsyncInvokeRoute } from './async-invoke.routes';
import { parseListQuery, parseStartAsyncInvoke } from './async-invoke.routes';

/** Bedrock requires a 12-digit account in an ARN; the gateway's invocations are its own, in no AWS account. */
const ACCOUNT = '000000000000';

export interface AsyncInvokeHandlerDeps {
  /** Absent when the gateway has no bucket for async work: the routes then say how to enable them. */
  readonly invocations: AsyncInvocations | undefined;
  readonly region: string;
  /** Where the gateway keeps an invocation's answer, for callers that named no output location. */
  readonly keptAt: (tenantId: string, id: string) => string;
}

/** The answer of one async-invoke request: status and JSON body. */
export interface AsyncInvokeAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes, answered in the Bedrock runtime API's JSON shapes. */
export class AsyncInvokeHandler {
  constructor(private readonly deps: AsyncInvokeHandlerDeps) {}

  /** `body`: StartAsyncInvoke's, parsed (see RequestBodyParser); the other routes have none. */
  async handle(
    route: AsyncInvokeRoute,
    tenantId: string,
    body: JsonObject | undefined,
    url: URL,
  ): Promise<AsyncInvokeAnswer> {
    const invocations = this.deps.invocations;
    if (!invocations) {
      throw new NovaCostError(
        'validation',
        'the async API is not enabled on this gateway: set NOVA_COST_ASYNC_BUCKET and NOVA_COST_ASYNC_ROLE_ARN (see the gateway README)',
        {
          details: { reason: 'async-disabled' },
        },
      );
    }
    switch (route.kind) {
      case 'start-async-invoke': {
        const state = await invocations.submit(parseStartAsyncInvoke(tenantId, body ?? {}));
        return { status: 200, body: { invocationArn: this.arn(state.id) } };
      }
      case 'get-async-invoke':
        return { status: 200, body: this.describe(await invocations.find(tenantId, route.id)) };
      case 'get-async-invoke-output':
        return { status: 200, body: await invocations.output(tenantId, route.id) };
      case 'list-async-invokes': {
        const page = await invocations.list(tenantId, parseListQuery(url));
        return {
          status: 200,
          body: {
            asyncInvokeSummaries: page.items.map((s) => this.describe(s)),
            ...(page.nextToken ? { nextToken: page.nextToken } : {}),
          },
        };
      }
    }
  }

  private arn(id: string): string {
    return `arn:aws:bedrock:${this.deps.region}:${ACCOUNT}:async-invoke/${id}`;
  }

  /** GetAsyncInvoke's shape (also each ListAsyncInvokes summary), with how nova-cost answered it under `novaCost`. */
  private describe(s: DeferredCallState): Record<string, unknown> {
    const iso = (d: Date) => d.toISOString();
    return {
      invocationArn: this.arn(s.id),
      modelArn: `arn:aws:bedrock:${this.deps.region}::foundation-model/${s.modelId}`,
      clientRequestToken: s.clientRequestToken,
      status: s.status,
      ...(s.failureMessage ? { failureMessage: s.failureMessage } : {}),
      submitTime: iso(s.submittedAt),
      lastModifiedTime: iso(s.lastModifiedAt),
      ...(s.endedAt ? { endTime: iso(s.endedAt) } : {}),
      outputDataConfig: { s3OutputDataConfig: { s3Uri: s.outputS3Uri ?? this.deps.keptAt(s.tenantId, s.id) } },
      novaCost: { ...(s.route ? { route: s.route } : {}), ...(s.reason ? { reason: s.reason } : {}) },
    };
  }
}
