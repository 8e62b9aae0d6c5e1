import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { converseRecord, errorRecord } from '../testing/log-records';
import { jsonLines, tempDir, writeLogFile } from '../testing/log-files';
import { LocalLogSource } from './local-log-source';
import type { LoggedCall } from './logged-call';
import { readLogRecords } from './read-log-records';
import { ReadProblems } from './read-problems';

async function readAll(path: string): Promise<{ calls: LoggedCall[]; problems: ReadProblems; bytes: number }> {
  const problems = new ReadProblems();
  const calls: LoggedCall[] = [];
  let bytes = 0;
  const files = await new LocalLogSource(path).files();
  for await (const c of readLogRecords(files, problems, { onBytes: (n) => (bytes += n) })) calls.push(c);
  return { calls, problems, bytes };
}

const HOUR = 'AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/03/02';

describe(readLogRecords, () => {
  describe('having a folder laid out as Bedrock delivers to S3', () => {
    it('reads every gzip JSON-lines file in hour order and skips offloaded bodies', async () => {
      const root = await tempDir();
      await writeLogFile(root, `${HOUR}/10/b.json.gz`, [converseRecord({ requestId: 'r3' })]);
      await writeLogFile(root, `${HOUR}/09/a.json.gz`, [
        converseRecord({ requestId: 'r1' }),
        converseRecord({ requestId: 'r2' }),
      ]);
      await writeLogFile(root, `${HOUR}/09/data/x_input.json.gz`, [{ messages: [] }]);
      await writeFile(
        join(root, 'AWSLogs/123456789012/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check'),
        '',
      );
      const { calls, problems, bytes } = await readAll(root);
      expect(calls.map((c) => c.requestId)).toEqual(['r1', 'r2', 'r3']);
      expect(calls[0]!.origin).toMatchObject({ file: join(root, `${HOUR}/09/a.json.gz`), line: 1 });
      expect(problems.count).toBe(0);
      expect(bytes).toBeGreaterThan(0);
    });
  });

  describe('having a single plain JSON-lines file', () => {
    it('reads it whatever its name', async () => {
      const root = await tempDir();
      const path = await writeLogFile(root, 'export.txt', [converseRecord(), errorRecord()], { gzip: false });
      const { calls } = await readAll(path);
      expect(calls.map((c) => c.errorCode)).toEqual([undefined, 'ThrottlingException']);
    });
  });

  describe('having a CloudWatch Logs export, each record after its event time', () => {
    it('reads the records', async () => {
      const root = await tempDir();
      const line = `2026-03-02T09:00:00.123Z ${JSON.stringify(converseRecord({ requestId: 'cw-1' }))}`;
      const path = await writeLogFile(root, '000000.gz', [line]);
      expect((await readAll(path)).calls.map((c) => c.requestId)).toEqual(['cw-1']);
    });
  });

  describe('having malformed lines', () => {
    it('names each with file, line and reason, and reads the lines around them', async () => {
      const root = await tempDir();
      const path = await writeLogFile(root, 'logs.json.gz', [
        converseRecord({ requestId: 'ok-1' }),
        '{"schemaType": "ModelInvocationLog", "prompt": "secret text',
        '',
        '[1,2,3]',
        converseRecord({ requestId: 'ok-2', timestamp: 'not a date' }),
        converseRecord({ requestId: 'ok-3' }),
      ]);
      const { calls, problems } = await readAll(path);
      expect(calls.map((c) => c.requestId)).toEqual(['ok-1', 'ok-3']);
      const summary = problems.summary();
      expect(summary.count).toBe(3);
      expect(summary.named.map((p) => [p.line, p.reason.split(':')[0]])).toEqual([
        [2, 'not JSON'],
        [4, 'not a JSON object'],
        [5, 'timestamp missing or not an ISO date'],
      ]);
      expect(summary.named.every((p) => p.file === path)).toBe(true);
      // The broken line's text (a prompt, perhaps) is never quoted in the report.
      expect(JSON.stringify(summary)).not.toContain('secret text');
    });
  });

  describe('having a truncated gzip file', () => {
    it('reads the records before the cut, names the file as truncated and goes on with the next file', async () => {
      const root = await tempDir();
      const records = Array.from({ length: 400 }, (_, i) =>
        converseRecord({ requestId: `t-${i}` }, `question ${i} ${'x'.repeat(i % 50)}`),
      );
      const whole = gzipSync(jsonLines(records));
      await writeFile(join(root, 'a.json.gz'), whole.subarray(0, Math.floor(whole.length * 0.6)));
      await writeLogFile(root, 'b.json.gz', [converseRecord({ requestId: 'after' })]);
      const { calls, problems } = await readAll(root);
      const summary = problems.summary();
      expect(summary.count).toBe(1);
      expect(summary.named[0]).toMatchObject({ file: join(root, 'a.json.gz') });
      expect(summary.named[0]!.reason).toMatch(
        /^gzip stream truncated or corrupt: unexpected end of file; the \d+ lines before it were read$/,
      );
      const fromA = calls.filter((c) => c.requestId.startsWith('t-'));
      expect(fromA.length).toBeGreaterThan(100);
      expect(fromA.length).toBeLessThan(400);
      expect(calls.at(-1)!.requestId).toBe('after');
    });
  });

  describe('having a line longer than maxLineBytes', () => {
    it('skips it as a problem and keeps line numbers right', async () => {
      const root = await tempDir();
      const path = await writeLogFile(root, 'a.json.gz', [
        converseRecord({ requestId: 'x' }, 'y'.repeat(5000)),
        converseRecord({ requestId: 'short' }),
        'oops',
      ]);
      const problems = new ReadProblems();
      const calls: LoggedCall[] = [];
      for await (const c of readLogRecords(await new LocalLogSource(path).files(), problems, { maxLineBytes: 1000 }))
        calls.push(c);
      expect(calls.map((c) => [c.requestId, c.origin.line])).toEqual([['short', 2]]);
      expect(problems.summary().named.map((p) => p.line)).toEqual([1, 3]);
    });
  });
});

describe(LocalLogSource, () => {
  it('refuses a path that does not exist, naming it', async () => {
    await expect(new LocalLogSource('/nonexistent/logs').files()).rejects.toThrow(
      'cannot read logs at /nonexistent/logs: ENOENT',
    );
  });
  it('refuses a folder without log files', async () => {
    const root = await tempDir();
    await expect(new LocalLogSource(root).files()).rejects.toThrow(/no log files/);
  });
});
