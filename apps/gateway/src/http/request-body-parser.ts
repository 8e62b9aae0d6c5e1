import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JsonObject } from '@nova-cost/domain';
import { rememberBodyAnalysis } from '@nova-cost/domain';
import type { BodyAnalysisAnswer, BodyAnalysisTask } from './body-analysis.worker';
import { MAX_JSON_DEPTH, bodyProblem, parseJsonBody } from './parse-model-request';

/**
 * A new body-analysis thread: the bundle's own script next to the gateway's in the image (bundle-gateway.mjs builds
 * both), else the TypeScript source through tsx's loader.
 */
function startWorker(): Worker {
  const bundled = new URL('./body-analysis.worker.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled);
  const source = new URL('./body-analysis.worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true });
}

/**
 * Parses request bodies. A body of at least `offThreadBytes` is first checked and walked on another thread (nesting
 * depth, JSON, its token tally and the digest of its request key: tens of milliseconds for megabytes), so this
 * thread, which serves every tenant, only runs JSON.parse on it; the analysis is remembered for the parsed body
 * (rememberBodyAnalysis). One thread, started on the first large body; if it fails, bodies are walked here.
 */
export class RequestBodyParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (answer: BodyAnalysisAnswer | Error) => void>();
  private nextId = 0;

  /**
   * @param offThreadBytes size from which a body is walked off this thread; 0: never
   * @param onOffThread told of each body walked off this thread (metrics)
   */
  constructor(
    private readonly offThreadBytes: number,
    private readonly onOffThread: () => void = () => undefined,
  ) {}

  /** The body as a JSON object, or the validation error saying why it is not one (as parseJsonBody's). */
  async parse(raw: Buffer, modelId: string): Promise<JsonObject> {
    if (this.offThreadBytes === 0 || raw.length < this.offThreadBytes) return parseJsonBody(raw);
    const answer = await this.analyse(raw, modelId).catch((error: Error) => error);
    if (answer instanceof Error) return parseJsonBody(raw); // the thread failed: walk the body here
    if (!answer.ok) throw bodyProblem(answer.reason);
    this.onOffThread();
    // Checked on the other thread: a JSON object, nested no deeper than allowed.
    const body = JSON.parse(raw.toString('utf8')) as JsonObject;
    rememberBodyAnalysis(body, answer.analysis);
    return body;
  }

  /** Stops the thread; bodies parsed later start another. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private analyse(raw: Buffer, modelId: string): Promise<BodyAnalysisAnswer> {
    const worker = this.started();
    const id = ++this.nextId;
    return new Promise<BodyAnalysisAnswer | Error>((resolve) => {
      this.pending.set(id, resolve);
      const task: BodyAnalysisTask = { id, bytes: raw, modelId, maxDepth: MAX_JSON_DEPTH };
      worker.postMessage(task);
    }).then((answer) => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    // Idle, it must not keep the process alive; waiting for an answer, the pending request does.
    worker.unref();
    worker.on('message', (answer: BodyAnalysisAnswer) => {
      const settle = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      settle?.(answer);
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const settle of this.pending.values()) settle(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the body-analysis thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
