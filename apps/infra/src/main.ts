// Entry point of `cdk synth` (cdk.json: "app": "npx tsx src/main.ts"), also runnable alone: `npx tsx src/main.ts`.
import { buildApp } from './app';
import { synthWithEstimate } from './synth-estimate';

const { app, stack } = buildApp();
const { report } = synthWithEstimate(app, stack);
// stderr: the CDK CLI passes it through, and stdout stays free for tools that parse it.
console.error(report);
if (stack.tenantsSecretOwned) {
  console.error(
    'NOTE: no tenantsSecretArn given, so the stack creates the tenants secret with a placeholder; gateway tasks refuse to\n' +
      'start until it holds the tenants JSON. Create the secret first and pass -c tenantsSecretArn=<complete ARN> instead.',
  );
}
