// Test kit for Nova Sonic sessions (InvokeModelWithBidirectionalStream): the events a client sends, an input stream
// a spec feeds as the conversation goes, and what the model said, collected. Shapes only: no SDK type is named, so
// specs pass these to the real BedrockRuntimeClient (or to the gateway's adapter) as they are.

/** What the SDK's input stream carries: one JSON event per chunk. */
export interface SonicInputChunk {
  readonly chunk: { readonly bytes: Uint8Array };
}

/** What the SDK's output stream carries. */
export interface SonicOutputChunk {
  readonly chunk?: { readonly bytes?: Uint8Array };
}

export interface SonicTool {
  readonly name: string;
  readonly description?: string;
  /** A JSON Schema object. */
  readonly schema: Record<string, unknown>;
}

const encode = (event: Record<string, unknown>): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify({ event })));

/** The events of one conversation, each ready to send (`{event: {...}}` as bytes). */
export class SonicConversation {
  readonly promptName = 'prompt-1';
  private contents = 0;

  constructor(private readonly options: { maxTokens?: number; tools?: readonly SonicTool[] } = {}) {}

  /** sessionStart and promptStart. */
  start(): Uint8Array[] {
    const tools = this.options.tools;
    return [
      encode({
        sessionStart: {
          inferenceConfiguration: { maxTokens: this.options.maxTokens ?? 1024, topP: 0.9, temperature: 0.7 },
        },
      }),
      encode({
        promptStart: {
          promptName: this.promptName,
          textOutputConfiguration: { mediaType: 'text/plain' },
          audioOutputConfiguration: {
            mediaType: 'audio/lpcm',
            sampleRateHertz: 24000,
            sampleSizeBits: 16,
            channelCount: 1,
            voiceId: 'matthew',
            encoding: 'base64',
            audioType: 'SPEECH',
          },
          ...(tools
            ? {
                toolUseOutputConfiguration: { mediaType: 'application/json' },
                toolConfiguration: {
                  tools: tools.map((t) => ({
                    toolSpec: {
                      name: t.name,
                      description: t.description ?? t.name,
                      inputSchema: { json: JSON.stringify(t.schema) },
                    },
                  })),
                },
              }
            : {}),
        },
      }),
    ];
  }

  /** A text content: SYSTEM (the system prompt), or USER with interactive (a typed turn the model answers). */
  text(role: 'SYSTEM' | 'USER' | 'ASSISTANT', content: string, interactive = false): Uint8Array[] {
    const contentName = this.nextContent();
    return [
      encode({
        contentStart: {
          promptName: this.promptName,
          contentName,
          type: 'TEXT',
          interactive,
          role,
          textInputConfiguration: { mediaType: 'text/plain' },
        },
      }),
      encode({ textInput: { promptName: this.promptName, contentName, content } }),
      encode({ contentEnd: { promptName: this.promptName, contentName } }),
    ];
  }

  /** The user speaking for `seconds` (16 kHz, 16-bit mono PCM, a quiet deterministic tone) in 0.1 s chunks; its end asks for an answer. */
  audio(seconds: number, seed = 1): Uint8Array[] {
    const contentName = this.nextContent();
    const events = [
      encode({
        contentStart: {
          promptName: this.promptName,
          contentName,
          type: 'AUDIO',
          interactive: true,
          role: 'USER',
          audioInputConfiguration: {
            mediaType: 'audio/lpcm',
            sampleRateHertz: 16000,
            sampleSizeBits: 16,
            channelCount: 1,
            audioType: 'SPEECH',
            encoding: 'base64',
          },
        },
      }),
    ];
    const chunks = Math.round(seconds * 10);
    for (let c = 0; c < chunks; c++) {
      const pcm = Buffer.alloc(3200);
      for (let s = 0; s < 1600; s++) pcm.writeInt16LE(Math.round(Math.sin((c * 1600 + s) * 0.05 * seed) * 1000), s * 2);
      events.push(
        encode({ audioInput: { promptName: this.promptName, contentName, content: pcm.toString('base64') } }),
      );
    }
    events.push(encode({ contentEnd: { promptName: this.promptName, contentName } }));
    return events;
  }

  /** The result of a tool the model called. */
  toolResult(toolUseId: string, result: unknown): Uint8Array[] {
    const contentName = this.nextContent();
    return [
      encode({
        contentStart: {
          promptName: this.promptName,
          contentName,
          interactive: false,
          type: 'TOOL',
          role: 'TOOL',
          toolResultInputConfiguration: {
            toolUseId,
            type: 'TEXT',
            textInputConfiguration: { mediaType: 'text/plain' },
          },
        },
      }),
      encode({ toolResult: { promptName: this.promptName, contentName, content: JSON.stringify(result) } }),
      encode({ contentEnd: { promptName: this.promptName, contentName } }),
    ];
  }

  /** promptEnd and sessionEnd. */
  end(): Uint8Array[] {
    return [encode({ promptEnd: { promptName: this.promptName } }), encode({ sessionEnd: {} })];
  }

  private nextContent(): string {
    this.contents += 1;
    return `content-${this.contents}`;
  }
}

/**
 * An input stream fed as the conversation goes: `send()` queues events, `end()` ends the input. The SDK pulls from
 * it as it sends; a spec waits for the model's answer (SonicTranscript.waitFor) before sending what depends on it.
 */
export class SonicInput implements AsyncIterable<SonicInputChunk> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  send(events: readonly Uint8Array[]): void {
    this.queue.push(...events);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SonicInputChunk> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield { chunk: { bytes: next } };
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export interface SonicUsageTotals {
  readonly input: { readonly speechTokens: number; readonly textTokens: number };
  readonly output: { readonly speechTokens: number; readonly textTokens: number };
}

/** What the model said in a session: every event's type in order, text by role, audio bytes, tool calls, usage. */
export class SonicTranscript {
  readonly types: string[] = [];
  readonly text: { USER: string[]; ASSISTANT: string[] } = { USER: [], ASSISTANT: [] };
  readonly toolUses: { toolName: string; toolUseId: string; input: unknown }[] = [];
  /** Sums of every usageEvent's delta. */
  readonly deltas = { input: { speechTokens: 0, textTokens: 0 }, output: { speechTokens: 0, textTokens: 0 } };
  audioBytes = 0;
  /** The last usageEvent's running total. */
  total: SonicUsageTotals | undefined;
  private readonly audio = new Map<string, number>();
  private waiters: { test: () => boolean; resolve: () => void; reject: (error: Error) => void; type: string }[] = [];

  /** Reads the whole output stream (or until it throws, which it passes on); waitFor()s still pending then reject. */
  async read(body: AsyncIterable<SonicOutputChunk> | undefined): Promise<this> {
    try {
      for await (const part of body ?? []) if (part.chunk?.bytes) this.accept(part.chunk.bytes);
    } finally {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the output stream ended before a ${w.type} event`));
    }
    return this;
  }

  accept(bytes: Uint8Array): void {
    const { event } = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      event: Record<string, Record<string, unknown>>;
    };
    const [type, payload] = Object.entries(event)[0]!;
    this.types.push(type);
    if (type === 'textOutput' && (payload['role'] === 'USER' || payload['role'] === 'ASSISTANT'))
      this.text[payload['role']].push(String(payload['content']));
    if (type === 'audioOutput') {
      const bytes = Buffer.byteLength(String(payload['content']), 'base64');
      this.audioBytes += bytes;
      this.audio.set(String(payload['contentId']), (this.audio.get(String(payload['contentId'])) ?? 0) + bytes);
    }
    if (type === 'toolUse')
      this.toolUses.push({
        toolName: String(payload['toolName']),
        toolUseId: String(payload['toolUseId']),
        input: JSON.parse(String(payload['content'])),
      });
    if (type === 'usageEvent') {
      const details = payload['details'] as { delta: SonicUsageTotals; total: SonicUsageTotals };
      this.total = details.total;
      for (const side of ['input', 'output'] as const) {
        this.deltas[side].speechTokens += details.delta[side].speechTokens;
        this.deltas[side].textTokens += details.delta[side].textTokens;
      }
    }
    this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
  }

  /** Resolves once an event of `type` has arrived (`count` of them); rejects if the stream ends first. */
  waitFor(type: string, count = 1): Promise<void> {
    const test = () => this.types.filter((t) => t === type).length >= count;
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ test, resolve, reject, type }));
  }
}
