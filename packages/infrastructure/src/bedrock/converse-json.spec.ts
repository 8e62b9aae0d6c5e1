import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { blobsToBase64, converseInputFromJson } from './converse-json';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the decoded request is checked field by field below
type AnyJson = any;

const bytesOf = (text: string): Buffer => Buffer.from(text);
const b64 = (text: string): string => bytesOf(text).toString('base64');

describe(converseInputFromJson, () => {
  it('decodes every blob field of messages, tool results and system to bytes, leaving the rest as is', () => {
    const body = {
      modelId: 'ignored-here',
      inferenceConfig: { maxTokens: 10 },
      system: [{ text: 'sys' }, { guardContent: { image: { format: 'png', source: { bytes: b64('guard') } } } }],
      messages: [
        {
          role: 'user',
          content: [
            { text: 'hi' },
            { image: { format: 'png', source: { bytes: b64('image') } } },
            { document: { format: 'pdf', name: 'doc', source: { bytes: b64('document') } } },
            { video: { format: 'mp4', source: { s3Location: { uri: 's3://b/k' } } } },
            { audio: { format: 'mp3', source: { bytes: b64('audio') } } },
            {
              toolResult: {
                toolUseId: 't',
                content: [
                  { json: { bytes: 'not a blob' } },
                  { video: { format: 'mp4', source: { bytes: b64('video') } } },
                ],
              },
            },
          ],
        },
        { role: 'assistant', content: [{ reasoningContent: { redactedContent: b64('secret') } }] },
      ],
    };
    const input: AnyJson = converseInputFromJson(body);
    const [, image, document, video, audio, toolResult] = input.messages[0].content;
    expect(image.image.source.bytes).toEqual(bytesOf('image'));
    expect(document.document.source.bytes).toEqual(bytesOf('document'));
    expect(document.document.name).toBe('doc');
    expect(video).toBe(body.messages[0]!.content[3]);
    expect(audio.audio.source.bytes).toEqual(bytesOf('audio'));
    expect(toolResult.toolResult.content[0]).toEqual({ json: { bytes: 'not a blob' } });
    expect(toolResult.toolResult.content[1].video.source.bytes).toEqual(bytesOf('video'));
    expect(input.messages[1].content[0].reasoningContent.redactedContent).toEqual(bytesOf('secret'));
    expect(input.system[1].guardContent.image.source.bytes).toEqual(bytesOf('guard'));
    expect(input.system[0]).toBe(body.system[0]);
    expect(input.inferenceConfig).toBe(body.inferenceConfig);
    expect(body.messages[0]!.content[1]).toEqual({ image: { format: 'png', source: { bytes: b64('image') } } });
  });

  it.each([
    ['characters outside base64', 'ab$d'],
    ['missing padding', 'aGk'],
    ['padding in the middle', 'aG=k'],
  ])("refuses %s as 'validation', naming the field", (_name, bytes) => {
    const body = {
      messages: [{ role: 'user', content: [{ text: 'x' }, { image: { format: 'png', source: { bytes } } }] }],
    };
    let error: unknown;
    try {
      converseInputFromJson(body);
    } catch (e) {
      error = e;
    }
    expect(NovaCostError.is(error, 'validation')).toBe(true);
    expect((error as NovaCostError).details).toEqual({ field: 'messages[0].content[1].image.source.bytes' });
  });

  it('leaves a body without messages or system to Bedrock to judge', () => {
    expect(converseInputFromJson({ messages: 'nope' })).toEqual({ messages: 'nope' });
    expect(converseInputFromJson({})).toEqual({});
  });
});

describe(blobsToBase64, () => {
  it('turns bytes anywhere in the SDK output into base64 strings and keeps everything else', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]).subarray(1, 6);
    const output = {
      output: {
        message: { role: 'assistant', content: [{ text: 'a' }, { reasoningContent: { redactedContent: bytes } }] },
      },
      usage: { inputTokens: 1 },
      stopReason: 'end_turn',
    };
    expect(blobsToBase64(output)).toEqual({
      output: {
        message: { role: 'assistant', content: [{ text: 'a' }, { reasoningContent: { redactedContent: 'AQL6+/w=' } }] },
      },
      usage: { inputTokens: 1 },
      stopReason: 'end_turn',
    });
  });
});
