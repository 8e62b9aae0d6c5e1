import type {
  BedrockRuntimeClient,
  ConverseStreamCommandInput,
  ConverseStreamOutput,
  ResponseStream,
} from '@aws-sdk/client-bedrock-runtime';
import { ConverseStreamCommand, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type {
  PlannedInvocation,
  InvokeOptions,
  JsonObject,
  ModelStream,
  ModelStreamEvent,
  StreamOperation,
} from '@nova-cost/domain';
import { StreamMeter, bodySourceOf, meteredStream } from '@nova-cost/domain';
import { mapBedrockError } from './bedrock-error.mapper';
import { CallDeadline } from './call-deadline';
import { blobsToBase64, converseInputFromJson, sendingBytes } from './converse-json';
import { invokeParametersInput } from './invoke-parameters';

/** One event of the SDK's stream unions as Bedrock named it on the wire, blobs back to base64. */
function toEvent(event: ConverseStreamOutput | ResponseStream): ModelStreamEvent | undefined {
  for (const [type, value] of Object.entries(event)) {
    if (type === '$unknown' || value === undefined) continue;
    return { type, payload: blobsToBase64(value) as JsonObject };
  }
  return undefined; // an event this SDK version does not know: the SDK dropped it, so do we
}

async function* events(
  source: AsyncIterable<ConverseStreamOutput | ResponseStream> | Iterable<never>,
): AsyncGenerator<ModelStreamEvent> {
  for await (const raw of source) {
    const event = toEvent(raw);
    if (event) yield event;
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
  client: BedrockRuntimeClient,
  request: PlannedInvocation & { operation: StreamOperation },
  options: InvokeOptions,
  callTimeoutMs: number,
): Promise<ModelStream> {
  const { signal } = options;
  const context = { modelId: request.modelId, operation: request.operation, signal };
  if (signal?.aborted) throw mapBedrockError(signal.reason, context);
  const deadline = new CallDeadline(callTimeoutMs, signal);
  let source: AsyncIterable<ConverseStreamOutput | ResponseStream> | Iterable<never>;
  try {
    if (request.operation === 'converse-stream') {
      // The caller's bytes when the body is unchanged (see rememberBodySource), else the SDK serialises it.
      const bytes = bodySourceOf(request.body);
      const input = {
        ...(bytes ? {} : converseInputFromJson(request.body)),
        modelId: request.modelId,
      } as unknown as ConverseStreamCommandInput;
      const command = new ConverseStreamCommand(input);
      const output = await client.send(bytes ? sendingBytes(command, bytes) : command, {
        abortSignal: deadline.signal,
      });
      source = output.stream ?? [];
    } else {
      const command = new InvokeModelWithResponseStreamCommand({
        modelId: request.modelId,
        body: bodySourceOf(request.body) ?? JSON.stringify(request.body),
        contentType: 'application/json',
        accept: 'application/json',
        ...invokeParametersInput(request.parameters),
      });
      const output = await client.send(command, { abortSignal: deadline.signal });
      source = output.body ?? [];
    }
  } catch (error) {
    deadline.dispose();
    throw mapBedrockError(error, deadline.expired ? { ...context, deadlineExceededMs: callTimeoutMs } : context);
  }
  // Started: from now on only the caller's signal ends the call (a long answer is no timeout).
  deadline.stopTimer();
  const meter = new StreamMeter(request.operation, request.estimatedInputTokens);
  const metered = meteredStream(events(source), meter, (error) => mapBedrockError(error, context));
  // However the stream ended, let go of the caller's signal; an abandoned one is cut upstream.
  void metered.report.then((report) => {
    if (report.end === 'abandoned') deadline.abort();
    deadline.dispose();
  });
  return { cache: 'bypass', modelId: request.modelId, events: metered.events, report: metered.report };
}
