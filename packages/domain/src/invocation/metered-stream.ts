import { NovaCostError } from '../errors/nova-cost.error';
import type { ModelStreamEvent, StreamReport } from './model-stream';
import type { StreamMeter } from './stream-meter';

/**
 * Passes a stream's events through, each observed by `meter`, and resolves `report` once the stream ended however it
 * ended: complete, failed (the source threw: rethrown to the reader as a NovaCostError) or abandoned (the reader
 * stopped before the end). A source that ends without its usage is reported failed, and passed on as it ended.
 */
export function meteredStream(
  source: AsyncIterable<ModelStreamEvent>,
  meter: StreamMeter,
  toError: (error: unknown) => NovaCostError = (error) =>
    NovaCostError.is(error) ? error : new NovaCostError('internal', 'the stream failed', { cause: error }),
): { events: AsyncIterable<ModelStreamEvent>; report: Promise<StreamReport> } {
  let settle!: (report: StreamReport) => void;
  const report = new Promise<StreamReport>((resolve) => (settle = resolve));
  async function* events(): AsyncGenerator<ModelStreamEvent> {
    let ended = false;
    try {
      for await (const event of source) {
        meter.observe(event);
        yield event;
      }
      ended = true;
      settle(
        meter.report(
          'failed',
          meter.complete
            ? undefined
            : new NovaCostError('upstream-unavailable', 'the stream ended before its usage event'),
        ),
      );
    } catch (error) {
      ended = true;
      const failure = toError(error);
      // Aborted: every reader left (the call was cut because of it), not a failure of the stream.
      settle(failure.kind === 'aborted' ? meter.report('abandoned') : meter.report('failed', failure));
      throw failure;
    } finally {
      if (!ended) settle(meter.report('abandoned'));
    }
  }
  const generator = events();
  // A reader that leaves before its first next() never runs the generator's body: its finally would not report.
  const iterator: AsyncIterableIterator<ModelStreamEvent> = {
    next: () => generator.next(),
    return: async (value?: unknown) => {
      const result = await generator.return(value);
      settle(meter.report('abandoned'));
      return result;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return { events: iterator, report };
}
