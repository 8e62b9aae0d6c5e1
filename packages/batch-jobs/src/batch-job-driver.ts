import type { BedrockClient } from '@aws-sdk/client-bedrock';
import {
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import { NovaCostError } from '@nova-cost/domain';
import { mapAwsError } from './aws-error.mapper';
import type { StoredManifest } from './stored-state';

/** Statuses of a job that has not finished yet. */
const RUNNING: ReadonlySet<string> = new Set(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Stopping']);

export interface JobState {
  readonly status: string;
  readonly message?: string;
  readonly finished: boolean;
}

/** Bedrock's batch inference control plane, as the queue uses it: create a job for a manifest, find it, read its state. */
export class BatchJobDriver {
  constructor(
    private readonly bedrock: BedrockClient,
    private readonly roleArn: string,
    private readonly timeoutHours: number,
  ) {}

  /** Creates the manifest's job (idempotent by the manifest's clientRequestToken); its ARN. */
  async create(manifest: StoredManifest, inputUri: string, outputUri: string): Promise<string> {
    try {
      const { jobArn } = await this.bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: manifest.jobName,
          roleArn: this.roleArn,
          modelId: manifest.modelId,
          modelInvocationType: manifest.invocationType,
          inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: outputUri } },
          clientRequestToken: manifest.clientRequestToken,
          timeoutDurationInHours: this.timeoutHours,
        }),
      );
      return jobArn!;
    } catch (error) {
      throw mapAwsError(error, `creating batch job ${manifest.jobName}`);
    }
  }

  /** The ARN of a job of this exact name created before (a restart between creating it and keeping its ARN), if any. */
  async find(jobName: string): Promise<string | undefined> {
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.bedrock.send(
          new ListModelInvocationJobsCommand({ nameContains: jobName, ...(nextToken ? { nextToken } : {}) }),
        );
        const found = page.invocationJobSummaries?.find((j) => j.jobName === jobName);
        if (found?.jobArn) return found.jobArn;
        nextToken = page.nextToken;
      } while (nextToken);
      return undefined;
    } catch (error) {
      throw mapAwsError(error, `looking for batch job ${jobName}`);
    }
  }

  /**
   * Stops a running job: Bedrock writes what it has processed so far and ends it as Stopped. A job already stopping
   * or ended is left as it is (Bedrock refuses to stop it again with a validation or conflict error).
   */
  async stop(jobArn: string): Promise<void> {
    try {
      await this.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    } catch (error) {
      const mapped = mapAwsError(error, `stopping batch job ${jobArn}`);
      if (NovaCostError.is(mapped, 'validation') && mapped.details['httpStatusCode'] !== 404) return;
      throw mapped;
    }
  }

  async state(jobArn: string): Promise<JobState> {
    try {
      const job = await this.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      const status = job.status ?? 'Submitted';
      return { status, ...(job.message ? { message: job.message } : {}), finished: !RUNNING.has(status) };
    } catch (error) {
      throw mapAwsError(error, `reading batch job ${jobArn}`);
    }
  }
}
