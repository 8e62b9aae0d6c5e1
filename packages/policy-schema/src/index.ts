export * from './parse-policy';
export { policyRulesSchema } from './policy-rules.schema';
