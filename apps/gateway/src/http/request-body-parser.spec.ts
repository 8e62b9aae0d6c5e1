import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  NovaCostError,
  bodySourceOf,
  guardrailKey,
  rememberedAnalysis,
  requestFeatures,
  requestKey,
  sourceDigestOf,
  submissionFingerprint,
} from '@nova-cost/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStartAsyncInvoke } from './async-invoke.routes';
import type { RequestBodyParserOptions } from './request-body-parser';
import { RequestBodyParser } from './request-body-parser';
import { parseModelRequest } from './parse-model-request';

const MODEL = 'amazon.nova-lite-v1:0';
/** A Converse body of about 40 KB: above the 1 KiB threshold the specs use. */
const body = { messages: [{ role: 'user', content: [{ text: 'hello '.repeat(7_000) }] }] };
const raw = Buffer.from(JSON.stringify(body));
const model = { kind: 'model', modelId: MODEL, operation: 'converse' } as const;

/** A thread running `code` (CommonJS, no tsx): how a broken or missing worker script behaves. */
const thread = (code: string) => () => new Worker(code, { eval: true });
const EXITS_AT_ONCE = thread('process.exit(3)');
const THROWS_ON_A_TASK = thread(
  "require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });",
);
const NEVER_ANSWERS = thread("require('node:worker_threads').parentPort.on('message', () => undefined);");

const parsers: RequestBodyParser[] = [];
function parser(options: RequestBodyParserOptions) {
  const failures: { message: string; inlineFromNow: boolean }[] = [];
  let started = 0;
  const start = options.startWorker;
  const made = new RequestBodyParser({
    offThreadBytes: 1024,
    ...options,
    ...(start ? { startWorker: () => (started++, start()) } : {}),
    onThreadFailure: (error, inlineFromNow) => failures.push({ message: error.message, inlineFromNow }),
  });
  parsers.push(made);
  return { parser: made, failures, started: () => started };
}
afterEach(async () => {
  await Promise.all(parsers.splice(0).map((p) => p.close()));
});

describe(RequestBodyParser, () => {
  describe('.parse', () => {
    it('walks a large body on its thread and remembers what it found for the body it parsed', async () => {
      let offThread = 0;
      const { parser: p } = parser({ onOffThread: () => (offThread += 1) });
      const parsed = await p.parse(raw, model);
      expect(parsed).toEqual(body);
      expect(offThread).toBe(1);
      const request = { tenantId: 'acme', modelId: MODEL, operation: 'converse' as const };
      expect(rememberedAnalysis(parsed)).toBeDefined();
      expect(requestKey({ ...request, body: parsed }, 'us-east-1')).toBe(
        requestKey({ ...request, body: structuredClone(body) }, 'us-east-1'),
      );
      const check = { source: 'INPUT', content: [{ text: { text: 'x'.repeat(5_000) } }] };
      const guardrail = { tenantId: 'acme', guardrailId: 'gr1', guardrailVersion: '1' };
      const parsedCheck = await p.parse(Buffer.from(JSON.stringify(check)), { kind: 'guardrail' });
      expect(guardrailKey({ ...guardrail, body: parsedCheck }, 'us-east-1')).toBe(
        guardrailKey({ ...guardrail, body: check }, 'us-east-1'),
      );
      const start = { modelId: MODEL, modelInput: body };
      const parsedStart = await p.parse(Buffer.from(JSON.stringify(start)), { kind: 'async-invoke' });
      expect(rememberedAnalysis(parsedStart['modelInput'] as typeof parsed)).toBeDefined();
      expect(offThread).toBe(3);
    });

    it('parses on this thread only the members of a large body that are read: planning and keying a call read none of its messages', async () => {
      const { parser: p } = parser({});
      const asked = { ...body, inferenceConfig: { maxTokens: 20, temperature: 0 } };
      const parsed = await p.parse(Buffer.from(JSON.stringify(asked)), model);
      const route = { modelId: MODEL, operation: 'converse' } as const;
      const request = parseModelRequest('acme', route, parsed, {});
      expect(requestFeatures(request)).toMatchObject({ maxOutputTokens: 20, temperature: 0 });
      expect(requestKey(request, 'us-east-1')).toBe(
        requestKey({ ...request, body: structuredClone(asked) }, 'us-east-1'),
      );
      // Forwarded as the bytes that came, signed with their hash from the thread.
      expect(sourceDigestOf(bodySourceOf(parsed)!)).toBe(
        createHash('sha256').update(JSON.stringify(asked)).digest('hex'),
      );
      expect(Object.getOwnPropertyDescriptor(parsed, 'messages')?.get).toBeDefined(); // never read, never parsed
      expect(Object.getOwnPropertyDescriptor(parsed, 'inferenceConfig')?.value).toEqual(asked.inferenceConfig);
      expect(parsed).toEqual(asked); // reading it all gives what JSON.parse gives
      expect(Object.getOwnPropertyDescriptor(parsed, 'messages')?.value).toEqual(body.messages);
    });

    it.each([
      ['messages not an array', { messages: 'hello '.repeat(300) }, 'converse', /non-empty "messages" array/],
      [
        'a message without content',
        { messages: [{ role: 'user', text: 'x'.repeat(2_000) }] },
        'converse-stream',
        /messages\[0\] must be/,
      ],
      [
        'count-tokens without input',
        { converse: { messages: 'x'.repeat(2_000) } },
        'count-tokens',
        /count-tokens body must be/,
      ],
    ] as const)(
      'refuses a large model body of the wrong shape (%s) on its thread, as inline',
      async (_, wrong, operation, message) => {
        const bytes = Buffer.from(JSON.stringify(wrong));
        const subject = { kind: 'model', modelId: MODEL, operation } as const;
        const [off, inline] = await Promise.all([
          parser({})
            .parser.parse(bytes, subject)
            .catch((e: unknown) => e),
          parser({ offThreadBytes: 0 })
            .parser.parse(bytes, subject)
            .catch((e: unknown) => e),
        ]);
        for (const error of [off, inline]) {
          expect(NovaCostError.is(error, 'validation')).toBe(true);
          expect((error as NovaCostError).message).toMatch(message);
        }
        expect((off as NovaCostError).details).toEqual((inline as NovaCostError).details);
      },
    );

    it("reads a large StartAsyncInvoke body's modelInput member by member, remembered with its bytes: the route takes it without parsing its messages", async () => {
      const { parser: p } = parser({});
      const start = { modelId: MODEL, modelInput: body, clientRequestToken: 'token-2' };
      const text = JSON.stringify(start);
      const parsed = await p.parse(Buffer.from(text), { kind: 'async-invoke' });
      const submission = parseStartAsyncInvoke('acme', parsed);
      expect(submission.operation).toBe('converse');
      expect(submissionFingerprint(submission)).toBe(
        submissionFingerprint(parseStartAsyncInvoke('acme', structuredClone(start))),
      );
      expect(Object.getOwnPropertyDescriptor(submission.body, 'messages')?.get).toBeDefined(); // never parsed here
      expect(Buffer.from(bodySourceOf(submission.body)!).toString()).toBe(JSON.stringify(body));
      expect(submission.body).toEqual(body);
    });

    it("computes a large StartAsyncInvoke body's submission fingerprint on its thread: the inline one, and the one used", async () => {
      let offThread = 0;
      const { parser: p } = parser({ onOffThread: () => (offThread += 1) });
      const start = {
        modelId: MODEL,
        modelInput: body,
        clientRequestToken: 'token-1',
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bucket/out' } },
      };
      const inline = submissionFingerprint(parseStartAsyncInvoke('acme', structuredClone(start)));
      const parsed = await p.parse(Buffer.from(JSON.stringify(start)), { kind: 'async-invoke' });
      expect(offThread).toBe(1);
      const submission = parseStartAsyncInvoke('acme', parsed);
      expect(submissionFingerprint(submission)).toBe(inline);
      // The thread's value is the one used: the body is not walked again here (a change made to it after parsing,
      // which nothing in the gateway makes, would otherwise show).
      (submission.body['messages'] as unknown[]).push({ role: 'user', content: [{ text: 'later' }] });
      expect(submissionFingerprint(submission)).toBe(inline);
      expect(submissionFingerprint(structuredClone(submission))).not.toBe(inline);
    });

    it.each([
      [
        'cannot start',
        () => {
          throw new Error('no such script');
        },
      ],
      ['exits at once', EXITS_AT_ONCE],
      ['throws on its task', THROWS_ON_A_TASK],
    ])('answers every body when its thread %s: walked here, bad bodies refused as inline', async (_, startWorker) => {
      const { parser: p, failures } = parser({ startWorker });
      const [good, bad] = await Promise.all([
        p.parse(raw, model),
        p.parse(Buffer.from(`${JSON.stringify(body).slice(0, -1)},`), model).catch((e: unknown) => e),
      ]);
      expect(good).toEqual(body);
      expect(NovaCostError.is(bad, 'validation')).toBe(true);
      expect((bad as NovaCostError).message).toMatch(/not valid JSON/);
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(failures[0]!.inlineFromNow).toBe(false);
    });

    it('answers a body whose thread never answers once answerTimeoutMs passed, and stops that thread', async () => {
      const { parser: p, failures } = parser({ startWorker: NEVER_ANSWERS, answerTimeoutMs: 50 });
      expect(await p.parse(raw, model)).toEqual(body);
      expect(failures).toEqual([{ message: 'the body-analysis thread did not answer in time', inlineFromNow: false }]);
    });

    it('starts no thread again after maxFailures failures in a row: bodies are walked here from then on', async () => {
      const { parser: p, failures, started } = parser({ startWorker: EXITS_AT_ONCE, maxFailures: 2 });
      for (let i = 0; i < 4; i++) expect(await p.parse(raw, model)).toEqual(body);
      expect(started()).toBe(2);
      expect(failures.map((f) => f.inlineFromNow)).toEqual([false, true]);
    });

    it('answers a body still on the thread when the parser is closed', async () => {
      const { parser: p } = parser({ startWorker: NEVER_ANSWERS });
      const parsing = p.parse(raw, model);
      await p.close();
      expect(await parsing).toEqual(body);
    });
  });
});
