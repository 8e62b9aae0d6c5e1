// Entry point of `cdk synth` (cdk.json: "app": "npx tsx src/main.ts"), also runnable alone: `npx tsx src/main.ts`.
import { buildApp } from './app';
import { synthWithEstimate } from './synth-estimate';

const { app, stack } = buildApp();
const { report } = synthWithEstimate(app, stack);
// stderr: the CDK CLI passes it through, and stdout stays free for tools that parse it.
console.error(report);
