import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import type { LocalBedrockOptions } from './local-bedrock.options';
import { startLocalBedrock } from './start-local-bedrock';

describe('startLocalBedrock misuse', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a port out of range', { port: 70_000 }, /port must be an integer from 0 to 65535, got 70000/],
    ['an empty host', { host: '' }, /host must be a non-empty string/],
    ['a fractional seed', { seed: 1.5 }, /seed must be an integer/],
    ['a negative latency', { latency: { fixedMs: -1 } }, /latency.fixedMs must be a finite number >= 0, got -1/],
    ['a rate above 1', { faults: { throttleRate: 1.5 } }, /faults.throttleRate must be a number from 0 to 1, got 1.5/],
    ['rates that add up above 1', { faults: { throttleRate: 0.6, serverErrorRate: 0.6 } }, /must not exceed 1/],
    [
      'an unknown forced fault',
      { faults: { failFirst: 1, failFirstWith: 'explode' } },
      /failFirstWith must be one of throttle, server-error, drop, slow/,
    ],
    ['a negative failFirst', { faults: { failFirst: -1 } }, /failFirst must be an integer >= 0/],
    [
      'a quota of zero requests',
      { faults: { quota: { requestsPerWindow: 0 } } },
      /faults.quota.requestsPerWindow must be an integer >= 1, got 0/,
    ],
    [
      'a quota window of zero',
      { faults: { quota: { requestsPerWindow: 1, windowMs: 0 } } },
      /faults.quota.windowMs must be a finite number > 0/,
    ],
    ['faults that are not an object', { faults: 0.5 }, /faults must be an object/],
    [
      'an unknown mid-stream fault',
      { faults: { midStream: { kind: 'explode' } } },
      /faults.midStream.kind must be one of exception, cut, stall, got "explode"/,
    ],
    [
      'a stream exception Bedrock has not',
      { faults: { midStream: { kind: 'exception', exception: 'teapotException' } } },
      /faults.midStream.exception must be one of internalServerException, modelStreamErrorException/,
    ],
    [
      'a negative event count before the fault',
      { faults: { midStream: { kind: 'cut', afterEvents: -1 } } },
      /faults.midStream.afterEvents must be an integer >= 0, got -1/,
    ],
  ];
  it.each(cases)('rejects %s with a configuration error', async (_name, options, message) => {
    const error = await startLocalBedrock(options as LocalBedrockOptions).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(NovaCostError.is(error, 'configuration')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a bad configure() and keeps the previous configuration', async () => {
    const bedrock = await startLocalBedrock({ faults: { failFirst: 1 } });
    try {
      expect(() => bedrock.configure({ latency: { fixedMs: 0 }, faults: { dropRate: 7 } })).toThrow(
        /faults.dropRate must be a number from 0 to 1/,
      );
      expect(() => bedrock.configure(null as never)).toThrow(
        expect.objectContaining({
          kind: 'configuration',
          message: expect.stringMatching(/configure\(\) takes an object/),
        }),
      );
      const res = await fetch(`${bedrock.url}/model/amazon.nova-lite-v1%3A0/converse`, {
        method: 'POST',
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      });
      expect(res.status).toBe(429);
    } finally {
      await bedrock.close();
    }
  });

  it('rejects a port already in use with a configuration error naming the port', async () => {
    const first = await startLocalBedrock();
    try {
      const error = await startLocalBedrock({ port: first.port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(NovaCostError.is(error, 'configuration')).toBe(true);
      expect((error as NovaCostError).message).toBe(
        `local Bedrock cannot listen on 127.0.0.1:${first.port} (option port/host): the port is already in use (EADDRINUSE); pick another port, or 0 for a free one`,
      );
      expect((error as NovaCostError).details).toEqual({ host: '127.0.0.1', port: first.port, code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});
