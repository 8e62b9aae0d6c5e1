import * as fs from 'node:fs';
import { Token, type App } from 'aws-cdk-lib';
import {
  estimateMonthlyCost,
  formatEstimate,
  trafficProfileFromContext,
  type CfnTemplate,
  type MonthlyCostEstimate,
  type TrafficProfile,
} from '@nova-cost/cdk';
import { NovaCostError } from '@nova-cost/domain';
import type { NovaCostStack } from './nova-cost.stack';

export interface SynthEstimateResult {
  readonly estimate: MonthlyCostEstimate | undefined;
  readonly report: string;
}

/**
 * The traffic profile of the context: the JSON file `-c trafficProfile=<path>`, with `-c` keys (requestsPerDay,
 * tokensPerRequest, eventsPerDay, …) laid over it. Undefined when neither is given.
 */
export function trafficProfileOf(app: App): TrafficProfile | undefined {
  const file: unknown = app.node.tryGetContext('trafficProfile');
  let base: unknown;
  if (typeof file === 'string' && file !== '') {
    try {
      base = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new NovaCostError(
        'validation',
        `-c trafficProfile: cannot read ${file} as JSON (${(error as Error).message})`,
        { cause: error },
      );
    }
  }
  return trafficProfileFromContext(
    (key) => app.node.tryGetContext(key),
    base,
    typeof file === 'string' ? file : undefined,
  );
}

/**
 * Synthesizes the app (running the nag checks) and reports the stack's monthly cost: its floor, and the traffic lines
 * when the context gives a traffic profile, with a warning line when the total exceeds the stack's budget. A region
 * without prices is reported, not fatal: synth must still work.
 */
export function synthWithEstimate(app: App, stack: NovaCostStack): SynthEstimateResult {
  const traffic = trafficProfileOf(app);
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  const region = Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region;
  try {
    const estimate = estimateMonthlyCost(template, { region, traffic });
    const title = traffic ? `Monthly cost of ${stack.stackName}` : `Monthly infrastructure floor of ${stack.stackName}`;
    return { estimate, report: formatEstimate(estimate, title) };
  } catch (error) {
    if (NovaCostError.is(error, 'unknown-price'))
      return { estimate: undefined, report: `No estimate: ${error.message}` };
    throw error;
  }
}
