// temporary: profile the gateway bundle answering 4 MB bodies (not committed)
import { freePort } from '@nova-cost/testing';
import { gatewayBundle, startBedrockProcess } from './gateway-servers';
import { startChildServer } from './lib/child-server';
const MODEL = 'amazon.nova-lite-v1:0';
const kind = process.argv[2] ?? 'tools';
function body(n: number): string {
  const tag = `round ${n} ${Math.random()}`;
  const content = kind === 'tools'
    ? [{ text: tag }, ...Array.from({ length: 20_000 }, (_, j) => ({ toolResult: { toolUseId: `t${j}`, content: [{ json: { id: j, values: [1, 2, 3, 4, 5], name: 'x'.repeat(100) } }] } }))]
    : [{ text: `${tag} ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(70_000)}` }];
  return JSON.stringify({ messages: [{ role: 'user', content }], inferenceConfig: { temperature: 0, maxTokens: 20 } });
}
const [bp, gp] = await Promise.all([freePort(), freePort()]);
const bedrock = await startBedrockProcess(bp);
const gateway = await startChildServer({ name: 'gw', args: ['--cpu-prof', `--cpu-prof-dir=/tmp/h1315/prof-${kind}`, await gatewayBundle()], port: gp, readyPath: '/healthz', cwd: process.cwd(),
  env: { REDIS_URL: '', NOVA_COST_CONFIG: '', NODE_ENV: 'production', BEDROCK_ENDPOINT: bedrock.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', PORT: String(gp), HOST: '127.0.0.1', DRAIN_DEADLINE_MS: '1000', ...(process.env.GW_ENV ? JSON.parse(process.env.GW_ENV) : {}) } });
const lag = async () => Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1]) * 1000;
for (let n = 0; n < 8; n++) {
  await lag();
  const r = await fetch(`${gateway.url}/model/${MODEL}/converse`, { method: 'POST', headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' }, body: body(n) });
  await r.arrayBuffer();
  console.log(n, r.status, 'stall ms', (await lag()).toFixed(1));
}
await gateway.stop();
await bedrock.stop();
