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

/** Where a member object lies in a body's bytes ([start, end)), and where its own members lie. */
export interface InputLayout {
  readonly start: number;
  readonly end: number;
  readonly layout: MemberLayout;
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
      /** A StartAsyncInvoke body's modelInput object: where it lies and where its own members lie. */
      readonly input?: InputLayout;
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
  const input = task.subject.kind === 'async-invoke' && layout ? inputOf(bytes, layout, task.maxMembers) : undefined;
  return {
    id,
    ok: true,
    findings,
    ...(layout ? { layout } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(input ? { input } : {}),
  };
}

/** Where an async body's modelInput object lies, and its members (ranges within the whole body's bytes). */
function inputOf(bytes: Uint8Array, layout: MemberLayout, maxMembers: number): InputLayout | undefined {
  const k = layout.keys.lastIndexOf('modelInput');
  if (k < 0) return undefined;
  const [start, end] = [layout.ranges[2 * k]!, layout.ranges[2 * k + 1]!];
  if (bytes[start] !== 0x7b) return undefined; // not an object: the route refuses it
  const inner = memberLayout(bytes.subarray(start, end), maxMembers);
  if (!inner) return undefined;
  return { start, end, layout: { keys: inner.keys, ranges: inner.ranges.map((at) => at + start) } };
}

parentPort?.on('message', (task: BodyAnalysisTask) => parentPort!.postMessage(analyse(task)));
