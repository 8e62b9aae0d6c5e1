import { ASYNC_BATCH_FILES_RULE, ASYNC_RESULTS_RULE } from '../bedrock/bedrock-batch-inference';
import { numberProp, resourcesOfType, type CfnTemplate } from './cfn-template';
import type { EstimateLines } from './estimate-line';
import { DAYS_PER_MONTH, type RegionInfraPrices } from './infra-price-table';
import type { TrafficProfile } from './traffic-profile';

const GB = 2 ** 30;
/** Bytes of JSON text a token takes, about: the documents hold prompts and answers as text. */
const BYTES_PER_TOKEN = 4;
/** What a document adds around the prompt or the answer: ids, times, settings, usage. */
const CALL_DOCUMENT_OVERHEAD = 600;
const JOB_LINE_OVERHEAD = 100;
const RESULT_DOCUMENT_OVERHEAD = 700;
/** A waiting call's document is deleted once answered: within a day at the default deadline. */
const CALL_DOCUMENT_DAYS = 1;
/** Per call: its call document, its result document, the caller's copy of the answer. */
const PUTS_PER_CALL = 3;
/** Per call: its result read back once (GetAsyncInvoke's output, or after a restart). */
const GETS_PER_CALL = 1;

/** A bucket holding the async API's prefix, found by the lifecycle rules BedrockBatchInference adds to it. */
interface AsyncPrefix {
  readonly bucketId: string;
  readonly batchFileDays: number;
  readonly resultDays: number;
}

function asyncPrefixes(template: CfnTemplate): AsyncPrefix[] {
  return resourcesOfType(template, 'AWS::S3::Bucket').flatMap(([bucketId, bucket]) => {
    const config = bucket.Properties?.LifecycleConfiguration as { Rules?: Array<Record<string, unknown>> } | undefined;
    const days = (id: string) => numberProp(config?.Rules?.find((r) => r.Id === id)?.ExpirationInDays);
    const batchFileDays = days(ASYNC_BATCH_FILES_RULE);
    const resultDays = days(ASYNC_RESULTS_RULE);
    return batchFileDays === undefined || resultDays === undefined ? [] : [{ bucketId, batchFileDays, resultDays }];
  });
}

/**
 * The S3 lines of the async API's prefix: what it stores (each call's document until it is answered, the job's input
 * line and output line until the jobs' files expire, its result until results expire) and its PUT and GET requests,
 * for the calls that go as batch inference (`batchShare` of those reaching Bedrock). Sizes follow the profile's
 * tokens a request at about 4 bytes a token.
 */
export function asyncPrefixLines(
  template: CfnTemplate,
  profile: TrafficProfile,
  prices: RegionInfraPrices,
  out: EstimateLines,
): void {
  const levers = profile.levers ?? {};
  const batchShare = levers.batchShare ?? 0;
  const prefixes = asyncPrefixes(template);
  if (prefixes.length === 0) {
    if (batchShare > 0)
      out.note(
        'batchShare given, but the stack has no async API prefix (BedrockBatchInference): its S3 lines are not priced',
      );
    return;
  }
  const callsPerDay = (profile.requestsPerDay ?? 0) * (1 - (levers.cacheHitRate ?? 0)) * batchShare;
  const models = profile.models ?? [];
  const input = models.reduce((sum, m) => sum + m.share * m.inputTokens, 0) * BYTES_PER_TOKEN;
  const output = models.reduce((sum, m) => sum + m.share * m.outputTokens, 0) * BYTES_PER_TOKEN;
  // Bedrock's output line repeats the record's modelInput beside its modelOutput.
  const jobFileBytes = input + JOB_LINE_OVERHEAD + (input + output + JOB_LINE_OVERHEAD);
  const resultBytes = output + RESULT_DOCUMENT_OVERHEAD;
  const callBytes = input + CALL_DOCUMENT_OVERHEAD;
  const callsPerMonth = callsPerDay * DAYS_PER_MONTH;
  for (const { bucketId, batchFileDays, resultDays } of prefixes) {
    const storedBytes =
      callsPerDay * (jobFileBytes * batchFileDays + resultBytes * resultDays + callBytes * CALL_DOCUMENT_DAYS);
    out.traffic(
      'storage',
      `S3 ${bucketId} async API prefix (jobs' files kept ${batchFileDays} days, ended invocations ${resultDays})`,
      storedBytes / GB,
      'GB-months',
      prices.s3StandardGbMonth.usd,
    );
    out.traffic(
      'storage',
      `S3 ${bucketId} async API PUT requests (${PUTS_PER_CALL} a call)`,
      (callsPerMonth * PUTS_PER_CALL) / 1000,
      'thousand requests',
      prices.s3PutRequestsPerThousand.usd,
    );
    out.traffic(
      'storage',
      `S3 ${bucketId} async API GET requests (${GETS_PER_CALL} a call)`,
      (callsPerMonth * GETS_PER_CALL) / 1000,
      'thousand requests',
      prices.s3GetRequestsPerThousand.usd,
    );
  }
  if (callsPerDay > 0)
    out.note(
      'async API: the requests of each batch job (about ten a job of up to 50,000 calls) and of ListAsyncInvokes are not counted',
    );
}
