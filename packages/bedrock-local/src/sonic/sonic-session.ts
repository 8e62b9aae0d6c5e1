import type { Hash } from 'node:crypto';
import { createHash, randomUUID } from 'node:crypto';
import { countTokens, generateText, hashOf } from '../deterministic-content';
import { isObject } from '../prompt';
import type { ToolOffer } from '../tool-use';
import { chooseToolCall } from '../tool-use';
import type { PcmFormat } from './sonic-audio';
import { CHUNK_SECONDS, pcmSeconds, speak, speechSeconds, speechTokens } from './sonic-audio';

/** An event the session sends: `{event: {<type>: payload}}` once serialised. */
export interface SonicOutput {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/** An input event out of place or malformed: Bedrock answers it with a validationException event and ends the stream. */
export class SonicProtocolError extends Error {
  override readonly name = 'SonicProtocolError';
}

interface Tokens {
  speechTokens: number;
  textTokens: number;
}
interface Usage {
  input: Tokens;
  output: Tokens;
}

interface Content {
  readonly type: 'TEXT' | 'AUDIO' | 'TOOL';
  readonly role: string;
  readonly interactive: boolean;
  readonly audio: PcmFormat;
  /** Of the content so far, never the content itself: a session's memory does not grow with its audio. */
  readonly digest: Hash;
  bytes: number;
  text: string;
}

interface Prompt {
  readonly name: string;
  readonly completionId: string;
  readonly audioOut: PcmFormat;
  readonly tools: ToolOffer | undefined;
  started: boolean;
  toolCalled: boolean;
}

const ROLES = new Set(['SYSTEM', 'USER', 'ASSISTANT', 'TOOL']);
const TYPES = new Set(['TEXT', 'AUDIO', 'TOOL']);
/** Marks a usageEvent among a content's events. */
const USAGE = 'usageEvent';
const FINAL = JSON.stringify({ generationStage: 'FINAL' });
const SPECULATIVE = JSON.stringify({ generationStage: 'SPECULATIVE' });

const zero = (): Usage => ({ input: { speechTokens: 0, textTokens: 0 }, output: { speechTokens: 0, textTokens: 0 } });

function str(payload: Record<string, unknown>, field: string, event: string): string {
  const value = payload[field];
  if (typeof value !== 'string' || value === '')
    throw new SonicProtocolError(`${event}.${field} must be a non-empty string`);
  return value;
}

function pcm(config: unknown, defaultRate: number): PcmFormat {
  const c = isObject(config) ? config : {};
  const rate =
    typeof c['sampleRateHertz'] === 'number' && c['sampleRateHertz'] > 0 ? c['sampleRateHertz'] : defaultRate;
  const channels = typeof c['channelCount'] === 'number' && c['channelCount'] > 0 ? c['channelCount'] : 1;
  return { sampleRateHertz: rate, channelCount: channels };
}

/** Nova Sonic's toolConfiguration: `{tools: [{toolSpec: {name, inputSchema: {json: "<JSON Schema as a string>"}}}]}`. */
function toolOffer(config: unknown): ToolOffer | undefined {
  if (!isObject(config) || !Array.isArray(config['tools'])) return undefined;
  const tools = config['tools'].flatMap((t) => {
    const spec = isObject(t) ? t['toolSpec'] : undefined;
    if (!isObject(spec) || typeof spec['name'] !== 'string') return [];
    const json = isObject(spec['inputSchema']) ? spec['inputSchema']['json'] : undefined;
    let schema: unknown;
    try {
      schema = typeof json === 'string' ? JSON.parse(json) : json;
    } catch {
      throw new SonicProtocolError(`toolConfiguration: the inputSchema.json of tool ${spec['name']} is not valid JSON`);
    }
    return [{ name: spec['name'], schema }];
  });
  return tools.length > 0 ? { tools } : undefined;
}

/**
 * A deterministic Nova Sonic conversation. It takes the client's events one at a time and yields what the model
 * sends back: when the user's audio (or an interactive text, or a tool result) ends, the transcript of what was
 * heard, a tool call or the answer as text and speech, and a usageEvent with speech and text tokens, in and out
 * (delta and running total). Speech tokens follow the audio's duration (SPEECH_TOKENS_PER_SECOND), text tokens the
 * text's length (~4 characters a token). A prompt that offers tools gets a tool call on its first turn (the tool the
 * user names, else the first one), with an input fitting the tool's schema; the turn that brings its result is
 * answered. Everything the model says is derived from the conversation so far, so the same session gets the same
 * transcript, answers, audio bytes and usage.
 */
export class SonicSession {
  readonly sessionId = randomUUID();
  private started = false;
  private maxTokens: number | undefined;
  private prompt: Prompt | undefined;
  private readonly contents = new Map<string, Content>();
  /** The conversation so far, as a chain of hashes. */
  private context: string;
  private readonly usage = zero();
  private reported = zero();
  private ended = false;

  constructor(modelId: string) {
    this.context = hashOf('nova-sonic', modelId);
  }

  /** Whether the client ended the session (sessionEnd). */
  get isEnded(): boolean {
    return this.ended;
  }

  /** The events answering one input event (lazily: a long answer's audio is made as it is read). */
  *accept(raw: unknown): Generator<SonicOutput> {
    if (this.ended) throw new SonicProtocolError('no event may follow sessionEnd');
    const wrapper = isObject(raw) ? raw['event'] : undefined;
    const keys = isObject(wrapper) ? Object.keys(wrapper) : [];
    if (!isObject(wrapper) || keys.length !== 1)
      throw new SonicProtocolError('each input must be {"event": {"<eventType>": {...}}} with exactly one event');
    const type = keys[0]!;
    const payload = wrapper[type];
    if (!isObject(payload)) throw new SonicProtocolError(`${type} must be an object`);
    if (!this.started && type !== 'sessionStart')
      throw new SonicProtocolError(`the first event must be sessionStart, got ${type}`);
    switch (type) {
      case 'sessionStart':
        return this.sessionStart(payload);
      case 'promptStart':
        return this.promptStart(payload);
      case 'contentStart':
        return this.contentStart(payload);
      case 'textInput':
      case 'audioInput':
      case 'toolResult':
        return this.contentInput(type, payload);
      case 'contentEnd':
        return yield* this.contentEnd(payload);
      case 'promptEnd':
        return yield* this.promptEnd(payload);
      case 'sessionEnd':
        this.ended = true;
        return;
      default:
        throw new SonicProtocolError(`unknown input event ${type}`);
    }
  }

  private sessionStart(payload: Record<string, unknown>): void {
    if (this.started) throw new SonicProtocolError('sessionStart was already sent');
    this.started = true;
    const config = payload['inferenceConfiguration'];
    const max = isObject(config) ? config['maxTokens'] : undefined;
    if (typeof max === 'number' && Number.isInteger(max) && max > 0) this.maxTokens = max;
  }

  private promptStart(payload: Record<string, unknown>): void {
    if (this.prompt) throw new SonicProtocolError(`prompt ${this.prompt.name} is still open: send promptEnd first`);
    const name = str(payload, 'promptName', 'promptStart');
    this.prompt = {
      name,
      completionId: randomUUID(),
      audioOut: pcm(payload['audioOutputConfiguration'], 24_000),
      tools: toolOffer(payload['toolConfiguration']),
      started: false,
      toolCalled: false,
    };
  }

  private openPrompt(payload: Record<string, unknown>, event: string): Prompt {
    const name = str(payload, 'promptName', event);
    if (!this.prompt || this.prompt.name !== name)
      throw new SonicProtocolError(`${event} names prompt ${name}, which is not open`);
    return this.prompt;
  }

  private contentStart(payload: Record<string, unknown>): void {
    this.openPrompt(payload, 'contentStart');
    const name = str(payload, 'contentName', 'contentStart');
    if (this.contents.has(name)) throw new SonicProtocolError(`content ${name} is already open`);
    const type = str(payload, 'type', 'contentStart');
    if (!TYPES.has(type)) throw new SonicProtocolError(`contentStart.type must be TEXT, AUDIO or TOOL, got ${type}`);
    const role = typeof payload['role'] === 'string' ? payload['role'] : type === 'TOOL' ? 'TOOL' : 'USER';
    if (!ROLES.has(role))
      throw new SonicProtocolError(`contentStart.role must be SYSTEM, USER, ASSISTANT or TOOL, got ${role}`);
    this.contents.set(name, {
      type: type as Content['type'],
      role,
      interactive: payload['interactive'] === true,
      audio: pcm(payload['audioInputConfiguration'], 16_000),
      digest: createHash('sha256'),
      bytes: 0,
      text: '',
    });
  }

  private contentInput(event: 'textInput' | 'audioInput' | 'toolResult', payload: Record<string, unknown>): void {
    this.openPrompt(payload, event);
    const name = str(payload, 'contentName', event);
    const content = this.contents.get(name);
    if (!content) throw new SonicProtocolError(`${event} names content ${name}, which is not open`);
    const expected = event === 'audioInput' ? 'AUDIO' : event === 'toolResult' ? 'TOOL' : 'TEXT';
    if (content.type !== expected) throw new SonicProtocolError(`${event} sent to ${content.type} content ${name}`);
    const value = payload['content'];
    if (typeof value !== 'string') throw new SonicProtocolError(`${event}.content must be a string`);
    content.digest.update(value);
    if (event === 'audioInput') content.bytes += Buffer.byteLength(value, 'base64');
    // Text is kept for the tool choice (a user naming a tool), up to a bound; it is counted in full.
    else {
      this.usage.input.textTokens += countTokens(value);
      if (content.text.length < 4096) content.text += value.slice(0, 4096 - content.text.length);
    }
  }

  private *contentEnd(payload: Record<string, unknown>): Generator<SonicOutput> {
    const prompt = this.openPrompt(payload, 'contentEnd');
    const name = str(payload, 'contentName', 'contentEnd');
    const content = this.contents.get(name);
    if (!content) throw new SonicProtocolError(`contentEnd names content ${name}, which is not open`);
    this.contents.delete(name);
    this.context = hashOf(this.context, content.type, content.role, content.digest.digest('hex'));
    if (content.type === 'AUDIO') {
      this.usage.input.speechTokens += speechTokens(pcmSeconds(content.bytes, content.audio));
      yield* this.turn(prompt, { heard: true, text: '', toolResult: false });
    } else if (content.type === 'TOOL') {
      yield* this.turn(prompt, { heard: false, text: '', toolResult: true });
    } else if (content.role === 'USER' && content.interactive) {
      yield* this.turn(prompt, { heard: false, text: content.text, toolResult: false });
    }
  }

  private *promptEnd(payload: Record<string, unknown>): Generator<SonicOutput> {
    const prompt = this.openPrompt(payload, 'promptEnd');
    this.prompt = undefined;
    this.contents.clear();
    if (prompt.started) yield this.out(prompt, 'completionEnd', { stopReason: 'END_TURN' });
  }

  private *turn(prompt: Prompt, turn: { heard: boolean; text: string; toolResult: boolean }): Generator<SonicOutput> {
    if (!prompt.started) {
      prompt.started = true;
      yield this.out(prompt, 'completionStart', {});
    }
    yield this.usageEvent(prompt);
    let userText = turn.text;
    if (turn.heard) {
      // What the model heard of the user's speech (ASR), derived from the audio.
      userText = generateText(hashOf(this.context, 'heard'), 40).text;
      yield* this.block(
        prompt,
        'TEXT',
        'USER',
        FINAL,
        [['textOutput', { content: userText, role: 'USER' }]],
        'END_TURN',
      );
    }
    const tools = prompt.tools;
    if (tools && !turn.toolResult && !prompt.toolCalled) {
      const named = tools.tools.find((t) => userText.toLowerCase().includes(t.name.toLowerCase())) ?? tools.tools[0]!;
      const call = chooseToolCall({ tools: tools.tools, forced: named.name }, userText, false, this.context);
      if (call) {
        prompt.toolCalled = true;
        const input = JSON.stringify(call.input);
        this.usage.output.textTokens += countTokens(input);
        yield* this.block(
          prompt,
          'TOOL',
          'TOOL',
          FINAL,
          [['toolUse', { toolName: call.name, toolUseId: call.id, content: input }]],
          'TOOL_USE',
        );
        yield this.usageEvent(prompt);
        return;
      }
    }
    const answer = generateText(hashOf(this.context, 'answer'), this.maxTokens);
    this.context = hashOf(this.context, answer.text);
    yield* this.block(
      prompt,
      'TEXT',
      'ASSISTANT',
      SPECULATIVE,
      [['textOutput', { content: answer.text, role: 'ASSISTANT' }]],
      'PARTIAL_TURN',
    );
    this.usage.output.textTokens += answer.outputTokens;
    const seconds = speechSeconds(answer.outputTokens);
    yield* this.block(
      prompt,
      'AUDIO',
      'ASSISTANT',
      undefined,
      this.speech(speak(answer.text, seconds, prompt.audioOut)),
      'END_TURN',
    );
    yield* this.block(
      prompt,
      'TEXT',
      'ASSISTANT',
      FINAL,
      [['textOutput', { content: answer.text, role: 'ASSISTANT' }]],
      'END_TURN',
    );
    yield this.usageEvent(prompt);
  }

  /** audioOutput events, with the speech tokens said so far reported every second, as Bedrock reports them while it speaks. */
  private *speech(chunks: Iterable<Buffer>): Generator<[string, Record<string, unknown>]> {
    let sent = 0;
    let counted = 0;
    const count = (): void => {
      const said = speechTokens(sent * CHUNK_SECONDS);
      this.usage.output.speechTokens += said - counted;
      counted = said;
    };
    for (const chunk of chunks) {
      yield ['audioOutput', { content: chunk.toString('base64') }];
      sent += 1;
      if (sent % 10 === 0) {
        count();
        yield [USAGE, {}];
      }
    }
    count();
  }

  /** contentStart, the content's events (a usageEvent among them stands apart), contentEnd. */
  private *block(
    prompt: Prompt,
    type: Content['type'],
    role: string,
    stage: string | undefined,
    events: Iterable<[string, Record<string, unknown>]>,
    stopReason: string,
  ): Generator<SonicOutput> {
    const contentId = randomUUID();
    const config =
      type === 'AUDIO'
        ? {
            audioOutputConfiguration: {
              mediaType: 'audio/lpcm',
              sampleRateHertz: prompt.audioOut.sampleRateHertz,
              sampleSizeBits: 16,
              channelCount: prompt.audioOut.channelCount,
              encoding: 'base64',
            },
          }
        : type === 'TOOL'
          ? { toolUseOutputConfiguration: { mediaType: 'application/json' } }
          : { textOutputConfiguration: { mediaType: 'text/plain' } };
    yield this.out(prompt, 'contentStart', {
      contentId,
      type,
      role,
      ...(stage ? { additionalModelFields: stage } : {}),
      ...config,
    });
    for (const [name, payload] of events)
      yield name === USAGE ? this.usageEvent(prompt) : this.out(prompt, name, { contentId, ...payload });
    yield this.out(prompt, 'contentEnd', { contentId, type, stopReason });
  }

  private usageEvent(prompt: Prompt): SonicOutput {
    const u = this.usage;
    const r = this.reported;
    const delta: Usage = {
      input: {
        speechTokens: u.input.speechTokens - r.input.speechTokens,
        textTokens: u.input.textTokens - r.input.textTokens,
      },
      output: {
        speechTokens: u.output.speechTokens - r.output.speechTokens,
        textTokens: u.output.textTokens - r.output.textTokens,
      },
    };
    const total: Usage = { input: { ...u.input }, output: { ...u.output } };
    this.reported = total;
    const totalInputTokens = total.input.speechTokens + total.input.textTokens;
    const totalOutputTokens = total.output.speechTokens + total.output.textTokens;
    return this.out(prompt, 'usageEvent', {
      details: { delta, total },
      totalInputTokens,
      totalOutputTokens,
      totalTokens: totalInputTokens + totalOutputTokens,
    });
  }

  private out(prompt: Prompt, type: string, payload: Record<string, unknown>): SonicOutput {
    return {
      type,
      payload: { sessionId: this.sessionId, promptName: prompt.name, completionId: prompt.completionId, ...payload },
    };
  }
}
