import type { AddressInfo } from 'node:net';
import { createServer, request } from 'node:http';
import type { ModelStreamEvent, StreamReport } from '@nova-cost/domain';
import { NovaCostError, ZERO_USAGE } from '@nova-cost/domain';
import { decodeFrames, eventFrame } from '@nova-cost/event-stream';
import { describe, expect, it } from 'vitest';
import { exceptionEventOf, writeStream } from './stream-answer';

/** The body a client gets when `events` are written to it by writeStream. */
async function written(events: ModelStreamEvent[]): Promise<Buffer> {
  const report: StreamReport = { end: 'complete', usage: ZERO_USAGE, reported: true, events: events.length };
  const server = createServer((_req, res) => {
    res.writeHead(200, { trailer: 'x-nova-cost-usd' });
    void writeStream(
      res,
      {
        cache: 'miss',
        modelId: 'm',
        events: (async function* () {
          yield* events;
        })(),
        report: Promise.resolve(report),
      },
      'converse-stream',
      { gone: new AbortController().signal, stop: new AbortController().signal },
      async () => ({ 'x-nova-cost-usd': '0' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
        .on('error', reject)
        .end();
    });
  } finally {
    server.close();
  }
}

describe(writeStream, () => {
  it("sends an event's upstream frame byte for byte, and frames an event that has none", async () => {
    // The frame differs from the payload (as Bedrock's padding does): what goes out must be the frame.
    const upstream = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'as Bedrock sent it' } });
    const body = await written([
      { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'as sent' } }, frame: upstream },
      { type: 'messageStop', payload: { stopReason: 'end_turn' } },
    ]);
    expect(body.subarray(0, upstream.byteLength)).toEqual(Buffer.from(upstream));
    expect(decodeFrames(body.subarray(upstream.byteLength))).toMatchObject([
      { headers: { ':event-type': 'messageStop' }, body: { stopReason: 'end_turn' } },
    ]);
  });
});

describe(exceptionEventOf, () => {
  it('sends the exception Bedrock sent, with its members', () => {
    const error = new NovaCostError('upstream-unavailable', 'The stream broke.', {
      upstream: { name: 'ModelStreamErrorException', members: { originalStatusCode: 500, originalMessage: 'boom' } },
    });
    expect(exceptionEventOf(error, 'converse-stream')).toEqual({
      type: 'modelStreamErrorException',
      payload: { message: 'The stream broke.', originalStatusCode: 500, originalMessage: 'boom' },
    });
  });

  it.each<[string, NovaCostError, 'converse-stream' | 'invoke-with-response-stream', string]>([
    ['a throttle of our own', new NovaCostError('queue-full', 'full'), 'converse-stream', 'throttlingException'],
    ['a spent budget', new NovaCostError('budget-exceeded', 'spent'), 'converse-stream', 'throttlingException'],
    ['an unpriced model', new NovaCostError('unknown-price', 'no price'), 'converse-stream', 'validationException'],
    [
      'a timeout, where the union has it',
      new NovaCostError('timeout', 't'),
      'invoke-with-response-stream',
      'modelTimeoutException',
    ],
    ['a timeout, where it does not', new NovaCostError('timeout', 't'), 'converse-stream', 'internalServerException'],
    [
      'a bad event signature',
      new NovaCostError('access-denied', 'sig'),
      'invoke-with-response-stream',
      'validationException',
    ],
    [
      'a lost upstream',
      new NovaCostError('upstream-unavailable', 'cut'),
      'converse-stream',
      'serviceUnavailableException',
    ],
    [
      "Bedrock's error the union has no event for, by its kind",
      new NovaCostError('not-found', 'gone', { upstream: { name: 'ResourceNotFoundException', status: 404 } }),
      'converse-stream',
      'internalServerException',
    ],
  ])('sends %s as the exception its kind is answered with', (_name, error, operation, type) => {
    expect(exceptionEventOf(error, operation)).toMatchObject({ type, payload: { message: error.message } });
  });
});
