import type { JsonObject, JsonValue } from '@nova-cost/domain';
import { isJsonObject } from '@nova-cost/domain';

function text(content: JsonValue | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(text).filter(Boolean).join(' ');
  if (isJsonObject(content) && typeof content['text'] === 'string') return content['text'];
  return '';
}

/** The start of what a request asks (its last user turn, the text to embed, …), whitespace collapsed. */
export function promptPreview(body: JsonObject, length = 160): string {
  const messages = body['messages'];
  let found = '';
  if (Array.isArray(messages)) {
    for (const m of messages) if (isJsonObject(m) && m['role'] === 'user') found = text(m['content']) || found;
  }
  found ||= text(body['inputText']) || text(body['texts']) || text(body['prompt']) || text(body['system']);
  const flat = found.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}
