/**
 * The Portkey AI gateway (open-source build, @portkey-ai/gateway on npm) as a comparison point: its own process,
 * `node build/start-server.js --port=N --headless`, Bedrock provider with its custom host pointed at the local
 * Bedrock endpoint. Its OpenAI-style chat completion becomes a Bedrock Converse call there.
 *
 * Facts checked in its build (1.15.2): the port is `--port=N` (the `--port N` form is ignored, 8787 then);
 * `--headless` skips the log viewer UI; custom hosts on 127.0.0.1 are trusted by default (TRUSTED_CUSTOM_HOSTS);
 * the response cache needs a `getFromCache` hook that only the hosted product installs, so every answer says
 * `x-portkey-cache-status: DISABLED` and every request reaches the upstream, whatever `x-portkey-cache` says.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChildServer } from './lib/child-server';
import { startChildServer } from './lib/child-server';
import type { PostTarget } from './lib/http-load';

export const PORTKEY_VERSION = '1.15.2';

function entryPoint(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@portkey-ai/gateway/package.json');
  const { version, bin } = require(pkg) as { version: string; bin: string };
  if (version !== PORTKEY_VERSION)
    throw new Error(`bench expects @portkey-ai/gateway ${PORTKEY_VERSION}, found ${version}`);
  return join(dirname(pkg), bin);
}

/** Starts Portkey on 127.0.0.1:`port` (it serves only HTTP/1.1). */
export function startPortkey(port: number): Promise<ChildServer> {
  return startChildServer({
    name: `Portkey gateway ${PORTKEY_VERSION}`,
    args: [entryPoint(), `--port=${port}`, '--headless'],
    port,
    readyPath: '/',
    env: { NODE_ENV: 'production' },
  });
}

/** A chat completion through Portkey to Bedrock at `bedrockUrl` (the local endpoint checks no signature). */
export function portkeyTarget(portkeyUrl: string, bedrockUrl: string): PostTarget {
  return {
    url: `${portkeyUrl}/v1/chat/completions`,
    headers: {
      'x-portkey-provider': 'bedrock',
      'x-portkey-custom-host': bedrockUrl,
      'x-portkey-aws-access-key-id': 'local',
      'x-portkey-aws-secret-access-key': 'local',
      'x-portkey-aws-region': 'us-east-1',
    },
  };
}

/** The OpenAI-style body Portkey turns into the Converse request `converseBody(text)` sends directly. */
export function chatCompletionBody(modelId: string, text: string, maxTokens: number): string {
  return JSON.stringify({
    model: modelId,
    messages: [{ role: 'user', content: text }],
    temperature: 0,
    max_tokens: maxTokens,
  });
}
