import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JsonObject } from '@nova-cost/domain';
import { rememberBodySource } from '@nova-cost/domain';
import type { BodyAnalysisAnswer, BodyAnalysisTask, InputLayout } from './body-analysis.worker';
import type { BodySubject } from './body-findings';
import { rememberFindings } from './body-findings';
import { lazyJsonObject } from './lazy-json-object';
import { MAX_JSON_DEPTH, bodyProblem, modelBodyProblem, parseJsonBody, shapeError } from './parse-model-request';

/**
 * Most members a large body is read member by member with (see lazyJsonObject): far above any Bedrock body's dozen
 * top-level fields; one with more is parsed whole here, as a small body is.
 */
const MAX_LAZY_MEMBERS = 256;

/**
 * A new body-analysis thread: the bundle's own script next to the gateway's in the image (bundle-gateway.mjs builds
 * both), else the TypeScript source through tsx's loader.
 */
export function startBodyAnalysisWorker(): Worker {
  const bundled = new URL('./body-analysis.worker.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled);
  const source = new URL('./body-analysis.worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true });
}

export interface RequestBodyParserOptions {
  /** Size from which a body is walked off this thread; 0: never. @default 262144 (256 KiB) */
  readonly offThreadBytes?: number;
  /** Told of each body walked off this thread (metrics). @default ignore */
  readonly onOffThread?: () => void;
  /**
   * Told when the thread failed (it could not start, crashed, exited or did not answer within `answerTimeoutMs`);
   * `inlineFromNow` once it failed `maxFailures` times in a row and bodies are walked here from then on. The bodies
   * it was walking are walked here either way. @default ignore
   */
  readonly onThreadFailure?: (error: Error, inlineFromNow: boolean) => void;
  /** Longest wait for the thread's answer before it is taken for stuck (terminated, the body walked here). @default 10000 */
  readonly answerTimeoutMs?: number;
  /** Failures in a row, with no answer between them, after which no thread is started again. @default 3 */
  readonly maxFailures?: number;
  /** Starts the thread. @default startBodyAnalysisWorker */
  readonly startWorker?: () => Worker;
}

/**
 * Parses request bodies, checking a model body's shape for its operation. A body of at least `offThreadBytes` is
 * first checked and walked on another thread (nesting depth, JSON, shape, what its subject needs: the token tally and
 * key digest of a model body, the key digest of a guardrail body, where its members lie; tens of milliseconds for
 * megabytes), and the findings are remembered for the body answered here. That body parses each member from its own
 * bytes when it is first read (lazyJsonObject), so this thread, which serves every tenant, parses the few small
 * fields a call is planned with and never the megabytes of messages forwarded as the bytes that came. One thread,
 * started on the first large body. A thread that fails never loses a request: the bodies it held are walked here, and
 * the next large body starts another (after `maxFailures` failures in a row, none is started again).
 */
export class RequestBodyParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (answer: BodyAnalysisAnswer | Error) => void>();
  private nextId = 0;
  private failures = 0;
  private readonly offThreadBytes: number;

  constructor(private readonly options: RequestBodyParserOptions = {}) {
    this.offThreadBytes = options.offThreadBytes ?? 256 * 1024;
  }

  /** The body as a JSON object, or the validation error saying why it is not one (as parseJsonBody's). */
  async parse(raw: Buffer, subject: BodySubject): Promise<JsonObject> {
    const { body, sha256 } = await this.parsed(raw, subject);
    // A model body the chain leaves unchanged goes to Bedrock as these bytes (signed with their hash when the thread
    // computed it), not serialised again.
    if (subject.kind === 'model') rememberBodySource(body, raw, sha256);
    return body;
  }

  private async parsed(raw: Buffer, subject: BodySubject): Promise<{ body: JsonObject; sha256?: string }> {
    if (!this.offThread(raw)) return { body: checked(parseJsonBody(raw), subject) };
    const answer = await this.analyse(raw, subject).catch((error: Error) => error);
    if (answer instanceof Error) return { body: checked(parseJsonBody(raw), subject) }; // the thread failed: walk it here
    if (!answer.ok) throw bodyProblem(answer.reason);
    const { findings, layout, sha256 } = answer;
    if (findings.shapeProblem) throw shapeError(findings.shapeProblem);
    this.options.onOffThread?.();
    // Checked on the other thread: a JSON object, nested no deeper than allowed, of the shape its operation takes.
    const body = layout
      ? lazyJsonObject(raw, layout, answer.input ? { modelInput: this.lazyInput(raw, answer.input) } : {})
      : (JSON.parse(raw.toString('utf8')) as JsonObject);
    rememberFindings(body, subject, findings);
    return { body, ...(sha256 ? { sha256 } : {}) };
  }

  /**
   * A StartAsyncInvoke body's modelInput read member by member too, and remembered with its bytes: the call it
   * defers is kept (and sent) as those bytes, not serialised again.
   */
  private lazyInput(raw: Buffer, input: InputLayout): JsonObject {
    const body = lazyJsonObject(raw, input.layout);
    rememberBodySource(body, raw.subarray(input.start, input.end));
    return body;
  }

  /** Stops the thread; bodies parsed later start another. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.settleAll(new Error('the body parser closed'));
    await worker?.terminate();
  }

  private offThread(raw: Buffer): boolean {
    const gaveUp = this.failures >= (this.options.maxFailures ?? 3);
    return this.offThreadBytes > 0 && raw.length >= this.offThreadBytes && !gaveUp;
  }

  private async analyse(raw: Buffer, subject: BodySubject): Promise<BodyAnalysisAnswer> {
    const worker = this.started();
    const id = ++this.nextId;
    const answer = await new Promise<BodyAnalysisAnswer | Error>((resolve) => {
      const timer = setTimeout(() => {
        const error = new Error('the body-analysis thread did not answer in time');
        this.failed(worker, error);
        void worker.terminate();
        this.pending.get(id)?.(error); // a thread already replaced or closed: this body is still walked here
      }, this.options.answerTimeoutMs ?? 10_000);
      this.pending.set(id, (a) => {
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(a);
      });
      const task: BodyAnalysisTask = {
        id,
        bytes: raw,
        subject,
        maxDepth: MAX_JSON_DEPTH,
        maxMembers: MAX_LAZY_MEMBERS,
      };
      worker.postMessage(task);
    });
    if (answer instanceof Error) throw answer;
    this.failures = 0;
    return answer;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = (this.options.startWorker ?? startBodyAnalysisWorker)();
    } catch (error) {
      this.failed(undefined, error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    // Idle, it must not keep the process alive; waiting for an answer, the pending request does (its timer).
    worker.unref();
    worker.on('message', (answer: BodyAnalysisAnswer) => this.pending.get(answer.id)?.(answer));
    worker.on('error', (error) => this.failed(worker, error));
    worker.on('exit', (code) => this.failed(worker, new Error(`the body-analysis thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** The thread `worker` failed (undefined: none could start): what it held is walked here. */
  private failed(worker: Worker | undefined, error: Error): void {
    if (worker !== undefined && this.worker !== worker) return; // already handled (error, then exit)
    this.worker = undefined;
    this.failures += 1;
    this.settleAll(error);
    this.options.onThreadFailure?.(error, this.failures >= (this.options.maxFailures ?? 3));
  }

  private settleAll(error: Error): void {
    for (const settle of [...this.pending.values()]) settle(error);
  }
}

/** `body`, or the validation error saying why a model body is not of the shape its operation takes. */
function checked(body: JsonObject, subject: BodySubject): JsonObject {
  const problem = subject.kind === 'model' ? modelBodyProblem(subject.operation, body) : undefined;
  if (problem) throw shapeError(problem);
  return body;
}
