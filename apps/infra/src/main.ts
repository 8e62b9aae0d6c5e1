// Entry point of `cdk synth` (cdk.json: "app": "npx tsx src/main.ts"), also runnable alone: `npx tsx src/main.ts`.
import { buildApp } from './app';
import { synthWithEstimate } from './synth-estimate';

const { app, stack } = buildApp();
const { report } = synthWithEstimate(app, stack);
// stderr: the CDK CLI passes it through, and stdout stays free for tools that parse it.
console.error(report);
if (stack.tenantsSecretOwned) {
  console.error(
    'NOTE: no tenantsSecretArn given, so the stack creates the tenants secret holding {"tenants":[]}: the gateway starts\n' +
      'but refuses every request until you put the tenants JSON into it and force a new deployment. Create the secret\n' +
      'first and pass -c tenantsSecretArn=<complete ARN> instead (see README).',
  );
}
