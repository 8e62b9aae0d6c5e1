// The thread that walks large request bodies (see request-body-parser.ts). It parses its own copy of the bytes and
// answers with what planning and the cache key need, and where the body's members lie in the bytes (so the request's
// thread parses only those it reads): the parsed object itself never crosses back.
import { hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { isJsonObject } from '@nova-cost/domain';
import type { BodyFindings, BodySubject } from './body-findings';
import { findingsOf } from './body-findings';
import { nestsDeeperThan } from './json-depth';
import type { MemberLayout } from './lazy-json-object';
import { memberLayout } from './lazy-json-object';

export interface BodyAnalysisTask {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly subject: BodySubject;
  readonly maxDepth: number;
  /** Most members of a body answered with its layout (see MemberLayout); a body with more has none. */
  readonly maxMembers: number;
}

export type BodyAnalysisAnswer =
  | {
      readonly id: number;
      readonly ok: true;
      readonly findings: BodyFindings;
      /** Where its members lie, for a body of at most `maxMembers` members. */
      readonly layout?: MemberLayout;
      /** The sha256 (hex) of a model body's bytes: the payload hash its upstream request is signed with. */
      readonly sha256?: string;
    }
  | { readonly id: number; readonly ok: false; readonly reason: 'too-deep' | 'not-json' | 'not-an-object' };

function analyse(task: BodyAnalysisTask): BodyAnalysisAnswer {
  const { id, bytes } = task;
  if (nestsDeeperThan(bytes, task.maxDepth)) return { id, ok: false, reason: 'too-deep' };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return { id, ok: false, reason: 'not-json' };
  }
  if (!isJsonObject(body)) return { id, ok: false, reason: 'not-an-object' };
  const findings = findingsOf(body, task.subject);
  const layout = memberLayout(bytes, task.maxMembers);
  const sha256 = task.subject.kind === 'model' ? hash('sha256', bytes, 'hex') : undefined;
  return { id, ok: true, findings, ...(layout ? { layout } : {}), ...(sha256 ? { sha256 } : {}) };
}

parentPort?.on('message', (task: BodyAnalysisTask) => parentPort!.postMessage(analyse(task)));
