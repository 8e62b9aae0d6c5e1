import { SonicConversation } from '@nova-cost/testing';
import { describe, expect, it } from 'vitest';
import { SonicProtocolError, SonicSession } from './sonic-session';

const parse = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString('utf8'));

function feed(session: SonicSession, events: readonly Uint8Array[]): string[] {
  return events.flatMap((e) => [...session.accept(parse(e))].map((o) => o.type));
}

describe('SonicSession', () => {
  it('answers the end of the user audio, and ends the completion at promptEnd', () => {
    const talk = new SonicConversation({ maxTokens: 20 });
    const session = new SonicSession('amazon.nova-sonic-v1:0');
    expect(feed(session, [...talk.start(), ...talk.text('SYSTEM', 'Be brief.')])).toEqual([]);
    const turn = feed(session, talk.audio(0.5));
    expect(turn.slice(0, 5)).toEqual(['completionStart', 'usageEvent', 'contentStart', 'textOutput', 'contentEnd']);
    expect(turn.at(-1)).toBe('usageEvent');
    expect(feed(session, talk.end())).toEqual(['completionEnd']);
    expect(session.isEnded).toBe(true);
  });

  it('reports speech tokens while it speaks, a second at a time', () => {
    const talk = new SonicConversation({ maxTokens: 100 });
    const session = new SonicSession('amazon.nova-sonic-v1:0');
    feed(session, talk.start());
    const outputs = talk.audio(0.2).flatMap((e) => [...session.accept(parse(e))]);
    const audio = outputs.findIndex((o) => o.type === 'audioOutput');
    const usageWhileSpeaking = outputs.slice(audio).findIndex((o) => o.type === 'usageEvent');
    expect(usageWhileSpeaking).toBe(10); // after ten 0.1 s chunks
  });

  it.each([
    ['an event before sessionStart', (t: SonicConversation) => t.start().slice(1), /first event must be sessionStart/],
    [
      'content for a prompt that is not open',
      (t: SonicConversation) => [t.start()[0]!, ...t.text('SYSTEM', 'x')],
      /names prompt prompt-1, which is not open/,
    ],
    [
      'audio for a content that is not open',
      (t: SonicConversation) => [...t.start(), t.audio(0.1)[1]!],
      /audioInput names content content-1, which is not open/,
    ],
    [
      'audio sent to a text content',
      (t: SonicConversation) => [
        ...t.start(),
        t.text('USER', 'x')[0]!,
        Buffer.from(
          JSON.stringify({ event: { audioInput: { promptName: 'prompt-1', contentName: 'content-1', content: '' } } }),
        ),
      ],
      /audioInput sent to TEXT content content-1/,
    ],
    [
      'an event after sessionEnd',
      (t: SonicConversation) => [...t.start(), ...t.end(), ...t.start()],
      /no event may follow sessionEnd/,
    ],
  ])('refuses %s', (_name, events, message) => {
    const session = new SonicSession('amazon.nova-sonic-v1:0');
    expect(() => feed(session, events(new SonicConversation()))).toThrow(message);
  });

  it('refuses input that is not one event', () => {
    const session = new SonicSession('amazon.nova-sonic-v1:0');
    expect(() => [...session.accept({ event: { sessionStart: {}, promptStart: {} } })]).toThrow(SonicProtocolError);
    expect(() => [...session.accept(['sessionStart'])]).toThrow(/exactly one event/);
  });
});
