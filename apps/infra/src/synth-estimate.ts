import { Token, type App } from 'aws-cdk-lib';
import { estimateMonthlyCost, formatEstimate, type CfnTemplate, type MonthlyCostEstimate } from '@nova-cost/cdk';
import { NovaCostError } from '@nova-cost/domain';
import type { NovaCostStack } from './nova-cost.stack';

export interface SynthEstimateResult {
  readonly estimate: MonthlyCostEstimate | undefined;
  readonly report: string;
}

/**
 * Synthesizes the app (running the nag checks) and reports the stack's monthly infrastructure floor, with a warning
 * line when it exceeds the stack's budget. A region without prices is reported, not fatal: synth must still work.
 */
export function synthWithEstimate(app: App, stack: NovaCostStack): SynthEstimateResult {
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  const region = Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region;
  try {
    const estimate = estimateMonthlyCost(template, { region });
    return { estimate, report: formatEstimate(estimate, `Monthly infrastructure floor of ${stack.stackName}`) };
  } catch (error) {
    if (NovaCostError.is(error, 'unknown-price')) return { estimate: undefined, report: `No estimate: ${error.message}` };
    throw error;
  }
}
