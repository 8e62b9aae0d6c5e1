import { DualProtocolListener } from '@nova-cost/http-listener';
import { NovaCostError } from '@nova-cost/domain';
import { sendError } from '../http-exchange';
import { handleS3Request } from '../s3/local-s3.handler';
import { LocalS3Store } from '../s3/local-s3-store';
import { WireError } from '../wire-error';
import type { BatchJobSnapshot } from './batch-job';
import { LocalBatchJobs } from './local-batch-jobs';
import type { LocalBatchFaults, LocalBatchOptions } from './local-batch.options';
import { resolveBatchOptions } from './local-batch.options';

/** Where the local S3 listens. */
export interface LocalS3Options {
  /** @default 0 (a free port) */
  port?: number;
}

/** The batch side of the local endpoint. */
export interface LocalBatch {
  /** Base URL of the local S3 (path-style; any credentials), when started with the `s3` option. */
  readonly s3Url: string | undefined;
  /** The local S3's contents, for specs that look inside. */
  readonly s3: LocalS3Store;
  /** @internal the jobs behind the control-plane routes */
  readonly jobs: LocalBatchJobs;
  /** The batch clock, ms. */
  now(): number;
  /** Moves the batch clock forward by `ms`: jobs whose duration has passed finish when next looked at. */
  advance(ms: number): void;
  /** Changes batch faults; absent fields keep their value. */
  configure(faults: LocalBatchFaults): void;
  /** Every job created since the start (or the last reset), with its status and record count. */
  snapshot(): BatchJobSnapshot[];
  reset(): void;
  close(): Promise<void>;
}

export async function startLocalBatch(
  host: string,
  s3: LocalS3Options | undefined,
  options: LocalBatchOptions | undefined,
  seed: number,
): Promise<LocalBatch> {
  const resolved = resolveBatchOptions(options);
  const store = new LocalS3Store();
  const jobs = new LocalBatchJobs(store, resolved, seed);
  let listener: DualProtocolListener | undefined;
  let s3Url: string | undefined;
  if (s3 !== undefined) {
    const port = s3.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new NovaCostError(
        'configuration',
        `s3.port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`,
      );
    // S3 keeps idle connections open for long; a short server-side idle close races clients reusing the socket
    // (ECONNRESET on the next request).
    listener = new DualProtocolListener(
      (req, res) => {
        handleS3Request(store, req, res).catch(() => {
          if (!res.headersSent)
            sendError(res, new WireError(500, 'InternalError', 'We encountered an internal error. Please try again.'));
        });
      },
      { keepAliveTimeoutMs: 600_000 },
    );
    const bound = await listener.listen(port, host).catch((error: unknown) => {
      throw new NovaCostError(
        'configuration',
        `local S3 cannot listen on ${host}:${port} (option s3.port): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    });
    s3Url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }
  return {
    s3Url,
    s3: store,
    jobs,
    now: () => jobs.now(),
    advance: (ms) => jobs.advance(ms),
    configure: (faults) => jobs.configure(faults),
    snapshot: () => jobs.snapshot(),
    reset: () => jobs.reset(),
    close: async () => {
      await listener?.closeAll(0);
    },
  };
}
