/** The slice of a synthesized CloudFormation template the estimate reads. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResourceJson>>;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResourceJson]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/** Logical ids a value points at through Ref or Fn::GetAtt, at any depth (e.g. inside Fn::Join). */
export function referencedLogicalIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') found.add(o.Ref);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    Object.values(o).forEach(walk);
  };
  walk(value);
  return found;
}

/** A number from a template property that CDK may render as a number or a numeric string. */
export function numberProp(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}
