import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { callLineLogger, createLogger } from './logger';

/** The JSON lines a logger wrote to it. */
function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('redacts credentials and bodies wherever they appear in a line', () => {
    const out = sink();
    createLogger('info', out.stream).info(
      { headers: { authorization: 'AWS4-HMAC-SHA256 x', 'x-api-key': 'k' }, body: 'prompt', tenant: { secret: 's' } },
      'line',
    );
    expect(out.lines()[0]).toMatchObject({
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' },
      body: '[redacted]',
      tenant: { secret: '[redacted]' },
    });
  });
});

describe('callLineLogger', () => {
  it("writes a call's line with the gateway logger's destination, level and base fields", () => {
    const out = sink();
    const logger = createLogger('info', out.stream);
    const calls = callLineLogger(logger);
    calls.info({ requestId: 'r1', tenantId: 'acme', cache: 'hit', costUsd: 0 }, 'model call');
    calls.debug({ requestId: 'r2' }, 'below the level');
    // Typecheck only (never called).
    // @ts-expect-error a body, or any object, cannot reach the unredacted logger
    void (() => calls.info({ body: { text: 'a prompt' } }, 'model call'));
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 30,
        service: 'nova-cost-gateway',
        requestId: 'r1',
        tenantId: 'acme',
        cache: 'hit',
        costUsd: 0,
        msg: 'model call',
      }),
    ]);
  });
});
