import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, readBody, sendJson } from '../http-exchange';
import { validation } from '../wire-error';
import type { LocalBatchJobs } from './local-batch-jobs';

/**
 * Bedrock's batch inference operations (the control-plane client, `@aws-sdk/client-bedrock`), on the local
 * endpoint's own port: CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs,
 * StopModelInvocationJob. Answers false for any other request.
 */
export async function handleControlPlane(
  jobs: LocalBatchJobs | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = url.pathname;
  const isJobPath =
    path === '/model-invocation-job' || path === '/model-invocation-jobs' || path.startsWith('/model-invocation-job/');
  if (!isJobPath) return false;
  const raw = await readBody(req);
  if (!jobs) throw validation('Batch inference needs the local S3: start the local endpoint with { s3: {} }.');
  if (req.method === 'POST' && path === '/model-invocation-job') {
    sendJson(res, 200, jobs.create(parseJsonObject(raw)));
    return true;
  }
  if (req.method === 'GET' && path === '/model-invocation-jobs') {
    sendJson(res, 200, jobs.list(url.searchParams));
    return true;
  }
  const m = /^\/model-invocation-job\/([^/]+)(\/stop)?$/.exec(path);
  if (m) {
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      throw validation('The job identifier is not valid percent-encoding.');
    }
    if (req.method === 'GET' && !m[2]) {
      sendJson(res, 200, jobs.get(id));
      return true;
    }
    if (req.method === 'POST' && m[2]) {
      jobs.stop(id);
      sendJson(res, 200, {});
      return true;
    }
  }
  return false;
}
