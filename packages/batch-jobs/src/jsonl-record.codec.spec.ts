import { rememberBodySource } from '@nova-cost/domain';
import type { JsonObject } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { decodeOutputRecords, encodeInputRecords, inputLineBytes } from './jsonl-record.codec';

describe(encodeInputRecords, () => {
  it('writes one {"recordId","modelInput"} line per record, each ending with a newline', () => {
    const text = encodeInputRecords([
      { recordId: 'a1', modelInput: { messages: [] } },
      { recordId: 'b2', modelInput: { inputText: 'x\ny' } },
    ]);
    expect(text.toString()).toBe(
      '{"recordId":"a1","modelInput":{"messages":[]}}\n{"recordId":"b2","modelInput":{"inputText":"x\\ny"}}\n',
    );
    expect(inputLineBytes({ recordId: 'a1', modelInput: { messages: [] } })).toBe(text.indexOf('\n') + 1);
  });

  it('writes a model input kept as the bytes that came as those bytes, not serialised again (unless they hold a line break)', () => {
    const kept = (source: string): JsonObject => {
      const input = JSON.parse(source) as JsonObject;
      rememberBodySource(input, Buffer.from(source));
      return input;
    };
    const records = [
      { recordId: 'a1', modelInput: kept('{ "messages": [ ], "n": 1.0, "s": "\\u00e9" }') },
      { recordId: 'b2', modelInput: kept('{\n  "n": 1.0\n}') },
    ];
    const text = encodeInputRecords(records);
    expect(text.toString()).toBe(
      '{"recordId":"a1","modelInput":{ "messages": [ ], "n": 1.0, "s": "\\u00e9" }}\n{"recordId":"b2","modelInput":{"n":1}}\n',
    );
    expect(inputLineBytes(records[0]!) + inputLineBytes(records[1]!)).toBe(text.length);
  });
});

describe(decodeOutputRecords, () => {
  it('reads answers and per-record errors, in whatever order they come', () => {
    const text = [
      JSON.stringify({ recordId: 'b2', modelInput: {}, error: { errorCode: 400, errorMessage: 'bad request' } }),
      JSON.stringify({
        recordId: 'a1',
        modelInput: {},
        modelOutput: { output: { message: { content: [{ text: 'hi' }] } } },
      }),
      '',
    ].join('\n');
    expect(decodeOutputRecords(text)).toEqual({
      records: [
        { recordId: 'b2', error: { code: '400', message: 'bad request' } },
        { recordId: 'a1', modelOutput: { output: { message: { content: [{ text: 'hi' }] } } } },
      ],
      problems: [],
    });
  });

  it('leaves out lines that are not records, saying which', () => {
    const { records, problems } = decodeOutputRecords(
      '{"recordId":"a1"}\nnot json\n{"modelOutput":{}}\n{"recordId":"c3","error":"boom"}',
    );
    expect(records).toEqual([{ recordId: 'c3', error: { code: 'unknown', message: '"boom"' } }]);
    expect(problems).toEqual([
      'line 1 (record a1) has neither modelOutput nor error',
      'line 2 is not JSON',
      'line 3 has no recordId',
    ]);
  });
});
