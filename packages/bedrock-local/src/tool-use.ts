import { hashOf, stableJson } from './deterministic-content';
import { isObject } from './prompt';
import { sampleOf } from './schema-sample';
import { seededDice } from './seeded-dice';
import { validation } from './wire-error';

/** A tool offered to the model, whatever the body family called it. */
export interface OfferedTool {
  readonly name: string;
  readonly schema: unknown;
}

/** What the model was told about tools: the ones offered, and which one (if any) it must call. */
export interface ToolOffer {
  readonly tools: readonly OfferedTool[];
  /** 'any': some tool must be called; a name: that one; undefined: the model decides (auto). */
  readonly forced?: 'any' | string;
}

/** The call a model makes: a tool and an input satisfying its schema. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** Converse (and Nova messages-v1) `toolConfig`: `{tools: [{toolSpec: {name, inputSchema: {json}}}], toolChoice}`. */
export function converseToolOffer(toolConfig: unknown): ToolOffer | undefined {
  if (toolConfig === undefined) return undefined;
  if (!isObject(toolConfig) || !Array.isArray(toolConfig['tools']))
    throw validation('toolConfig.tools must be an array of tools');
  const tools = toolConfig['tools'].flatMap((t): OfferedTool[] => {
    const spec = isObject(t) ? t['toolSpec'] : undefined;
    if (!isObject(spec)) return []; // cachePoint and system tools carry no schema to answer
    if (typeof spec['name'] !== 'string') throw validation('toolConfig.tools.toolSpec.name must be a string');
    return [{ name: spec['name'], schema: isObject(spec['inputSchema']) ? spec['inputSchema']['json'] : undefined }];
  });
  const choice = toolConfig['toolChoice'];
  const named = isObject(choice) && isObject(choice['tool']) ? choice['tool']['name'] : undefined;
  const forced = typeof named === 'string' ? named : isObject(choice) && 'any' in choice ? 'any' : undefined;
  return { tools, ...(forced ? { forced } : {}) };
}

/** Anthropic messages `tools: [{name, input_schema}]` and `tool_choice: {type: auto|any|tool|none, name}`. */
export function anthropicToolOffer(tools: unknown, toolChoice: unknown): ToolOffer | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) throw validation('Malformed input request: tools must be an array');
  if (isObject(toolChoice) && toolChoice['type'] === 'none') return undefined;
  const offered = tools.flatMap((t): OfferedTool[] =>
    isObject(t) && typeof t['name'] === 'string' && 'input_schema' in t
      ? [{ name: t['name'], schema: t['input_schema'] }]
      : [],
  );
  const type = isObject(toolChoice) ? toolChoice['type'] : undefined;
  const forced =
    type === 'tool' && typeof (toolChoice as Record<string, unknown>)['name'] === 'string'
      ? ((toolChoice as Record<string, unknown>)['name'] as string)
      : type === 'any'
        ? 'any'
        : undefined;
  return { tools: offered, ...(forced ? { forced } : {}) };
}

/**
 * The tool call a deterministic model makes, or undefined when it answers with text: it calls a tool when one is
 * forced, or when the last user turn names an offered tool; it answers a turn that brings tool results with text.
 * The input is derived from the request, so the same request always gets the same call.
 */
export function chooseToolCall(
  offer: ToolOffer | undefined,
  lastUserText: string,
  answersToolResult: boolean,
  seed: string,
): ToolCall | undefined {
  if (!offer || offer.tools.length === 0 || answersToolResult) return undefined;
  let tool: OfferedTool | undefined;
  if (offer.forced === 'any') tool = offer.tools[0];
  else if (offer.forced !== undefined) {
    tool = offer.tools.find((t) => t.name === offer.forced);
    if (!tool) throw validation(`The tool ${offer.forced} named by the tool choice is not among the tools offered.`);
  } else {
    const text = lastUserText.toLowerCase();
    tool = offer.tools.find((t) => text.includes(t.name.toLowerCase()));
  }
  if (!tool) return undefined;
  const hash = hashOf(seed, tool.name, stableJson(tool.schema ?? null));
  const input =
    tool.schema === undefined ? {} : sampleOf(tool.schema, seededDice(Number.parseInt(hash.slice(0, 8), 16)));
  return { id: hash.slice(0, 24), name: tool.name, input };
}
