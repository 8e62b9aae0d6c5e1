import type { JsonObject } from '@nova-cost/domain';
import { bodySourceOf, isJsonObject } from '@nova-cost/domain';

/** One line of a batch job's input: `{"recordId", "modelInput"}`. */
export interface BatchInputRecord {
  readonly recordId: string;
  readonly modelInput: JsonObject;
}

/** One line of a batch job's output: the model's answer, or the error that replaced it. */
export type BatchOutputRecord =
  | { readonly recordId: string; readonly modelOutput: JsonObject }
  | { readonly recordId: string; readonly error: { readonly code: string; readonly message: string } };

/**
 * One record's line, newline included, in pieces. A model input kept as the bytes it came as (see bodySourceOf) is
 * written as those bytes, not parsed and serialised again on the event loop, unless they hold a line break (whitespace
 * between tokens), which a JSONL line cannot.
 */
function inputLine(record: BatchInputRecord): readonly (string | Uint8Array)[] {
  const source = bodySourceOf(record.modelInput);
  if (source === undefined || source.includes(0x0a) || source.includes(0x0d))
    return [`${JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput })}\n`];
  return [`{"recordId":${JSON.stringify(record.recordId)},"modelInput":`, source, '}\n'];
}

const byteLength = (part: string | Uint8Array) => (typeof part === 'string' ? Buffer.byteLength(part) : part.length);

/** A JSONL input file: one record a line, each ending with a newline. */
export function encodeInputRecords(records: readonly BatchInputRecord[]): Buffer {
  return Buffer.concat(records.flatMap(inputLine).map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

/** The byte length of a record's input line, newline included: what it adds to its file. */
export function inputLineBytes(record: BatchInputRecord): number {
  return inputLine(record).reduce((sum, part) => sum + byteLength(part), 0);
}

/**
 * The records of an output file (`<input file>.out`). Lines are in any order. A line that is not a record (not JSON,
 * no recordId, neither modelOutput nor error) is left out and described in `problems`: its record then counts as
 * unanswered.
 */
export function decodeOutputRecords(text: string): { records: BatchOutputRecord[]; problems: string[] } {
  const records: BatchOutputRecord[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1} is not JSON`);
      return;
    }
    if (!isJsonObject(parsed) || typeof parsed['recordId'] !== 'string') {
      problems.push(`line ${i + 1} has no recordId`);
      return;
    }
    const recordId = parsed['recordId'];
    const output = parsed['modelOutput'];
    const error = parsed['error'];
    if (isJsonObject(output)) records.push({ recordId, modelOutput: output });
    else if (error !== undefined) {
      const e = isJsonObject(error) ? error : {};
      const code = e['errorCode'] ?? e['code'];
      const message = e['errorMessage'] ?? e['message'];
      records.push({
        recordId,
        error: {
          code: code === undefined || code === null ? 'unknown' : String(code),
          message: typeof message === 'string' ? message : JSON.stringify(error),
        },
      });
    } else problems.push(`line ${i + 1} (record ${recordId.slice(0, 40)}) has neither modelOutput nor error`);
  });
  return { records, problems };
}
