import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type {
  PlannedInvocation,
  InvokeOptions,
  ModelStream,
  ModelStreamEvent,
  StreamOperation,
} from '@nova-cost/domain';
import { StreamMeter, bodySourceOf, meteredStream } from '@nova-cost/domain';
import { mapBedrockError } from './bedrock-error.mapper';
import { CallDeadline } from './call-deadline';
import type { BedrockStreamCall } from './bedrock-stream-call';
import { converseInputFromJson } from './converse-json';
import { invokeParametersInput } from './invoke-parameters';
import type { RawEventStream } from './raw-event-stream';
import { eventOfFrame, sdkError } from './raw-event-stream';

/** The stream's events, each with the frame Bedrock sent; a frame that is not an event is raised as the SDK raises it. */
async function* events(
  client: BedrockRuntimeClient,
  operation: StreamOperation,
  raw: RawEventStream | undefined,
): AsyncGenerator<ModelStreamEvent> {
  if (!raw) return;
  try {
    yield raw.first;
    for (let next = await raw.rest.next(); !next.done; next = await raw.rest.next()) {
      const event = eventOfFrame(next.value);
      if (!event) throw await sdkError(client, operation, next.value);
      yield event;
    }
  } finally {
    await raw.rest.return?.();
  }
}

/**
 * ConverseStream or InvokeModelWithResponseStream through the SDK. The SDK resolves `send` once the first event
 * arrived, so every failure before it (an error answer, the first event being an exception) rejects here; later
 * ones are thrown by the iteration, mapped like any Bedrock error (an exception event keeps its name in
 * `upstream`). `callTimeoutMs` bounds the wait for the first event; the caller's signal ends the call at any
 * time, closing the upstream connection.
 */
export async function startBedrockStream(
  call: BedrockStreamCall,
  request: PlannedInvocation & { operation: StreamOperation },
  options: InvokeOptions,
  callTimeoutMs: number,
): Promise<ModelStream> {
  const { signal } = options;
  const context = { modelId: request.modelId, operation: request.operation, signal };
  if (signal?.aborted) throw mapBedrockError(signal.reason, context);
  const deadline = new CallDeadline(callTimeoutMs, signal);
  let raw: RawEventStream | undefined;
  try {
    // The caller's bytes when the body is unchanged (see rememberBodySource), else the SDK serialises it.
    const bytes = bodySourceOf(request.body);
    const input =
      request.operation === 'converse-stream'
        ? { ...(bytes ? {} : converseInputFromJson(request.body)), modelId: request.modelId }
        : {
            modelId: request.modelId,
            body: bytes ?? JSON.stringify(request.body),
            contentType: 'application/json',
            accept: 'application/json',
            ...invokeParametersInput(request.parameters),
          };
    const converseBytes = request.operation === 'converse-stream' ? bytes : undefined;
    raw = await call.start(request.operation, input, converseBytes, deadline.signal);
  } catch (error) {
    deadline.dispose();
    throw mapBedrockError(error, deadline.expired ? { ...context, deadlineExceededMs: callTimeoutMs } : context);
  }
  // Started: from now on only the caller's signal ends the call (a long answer is no timeout).
  deadline.stopTimer();
  const meter = new StreamMeter(request.operation, request.estimatedInputTokens);
  const metered = meteredStream(events(call.client, request.operation, raw), meter, (error) =>
    mapBedrockError(error, context),
  );
  // However the stream ended, let go of the caller's signal; an abandoned one is cut upstream.
  void metered.report.then((report) => {
    if (report.end === 'abandoned') deadline.abort();
    deadline.dispose();
  });
  return { cache: 'bypass', modelId: request.modelId, events: metered.events, report: metered.report };
}
