// The pack's judgement, without @pulumi/policy: Pulumi resources (token, name, props, property
// dependencies, provider) become the rules' resource changes, and the same rule functions as
// `cmek policy check` run on them (`checkPolicyRules`: the plan-time rules and the review
// findings, over the role tables). One resource alone is judged by what its own properties
// say; the whole stack by what the resources say together, linked by Pulumi's property
// dependencies. The stack policy reports only what the per-resource runs could not see.
import type { Diagnostic } from '../model/diagnostics.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../resources/types.js';
import { checkPolicyRules, cmekRuleInput, type CmekResourceChange } from '../rules/index.js';
import { PACK_ROLES, pulumiAttrs, terraformType } from './types.js';
import { camelToSnake } from '../model/case.js';

/** A Pulumi resource as the policies see it (a subset of @pulumi/policy's PolicyResource). */
export interface PackResource {
  type: string;
  urn: string;
  name: string;
  props: Record<string, unknown>;
  /** Property name → the resources its value came from (stack validation only). */
  propertyDependencies?: Record<string, ReadonlyArray<{ urn: string }>>;
  /** The provider resource (its `region` is the region of AWS / Google resources). */
  provider?: { props: Record<string, unknown> };
}

/** A finding: the diagnostic and the URN of the resource it is about. */
export interface PackFinding {
  urn: string;
  diagnostic: Diagnostic;
}

/** `CODE: summary` then the detail: the violation message. */
export function violationMessage(d: Diagnostic): string {
  return `${d.code}: ${d.summary}${d.detail ? `\n${d.detail}` : ''}`;
}

/** A rule-input address for a Pulumi resource: `aws_db_instance.orders` (names made safe). */
function addressOf(tfType: string, name: string): string {
  const safe = name.replace(/[^\w-]/g, '_');
  return `${tfType}.${/^[A-Za-z_]/.test(safe) ? safe : `_${safe}`}`;
}

function changesOf(resources: readonly PackResource[]): {
  changes: CmekResourceChange[];
  urnOf: Map<string, string>;
} {
  const judged = resources.filter((r) => terraformType(r.type) !== undefined);
  const addressOfUrn = new Map<string, string>();
  const urnOf = new Map<string, string>();
  const taken = new Set<string>();
  for (const r of judged) {
    let a = addressOf(terraformType(r.type)!, r.name);
    for (let i = 2; taken.has(a); i++) a = `${addressOf(terraformType(r.type)!, r.name)}_${i}`;
    taken.add(a);
    addressOfUrn.set(r.urn, a);
    urnOf.set(a, r.urn);
  }
  const changes = judged.map((r): CmekResourceChange => {
    const after = pulumiAttrs(r.props);
    const change: CmekResourceChange = {
      address: addressOfUrn.get(r.urn)!,
      type: terraformType(r.type)!,
      action: 'create',
      before: null,
      after,
    };
    const refs: Record<string, string> = {};
    for (const [prop, deps] of Object.entries(r.propertyDependencies ?? {})) {
      const target = deps.map((d) => addressOfUrn.get(d.urn)).find((a) => a !== undefined);
      if (target === undefined) continue;
      const attr = camelToSnake(prop);
      refs[attr] = target;
      // A nested block depends as a whole: each attribute inside it names the same resource.
      const v = after[attr];
      const nested = Array.isArray(v) ? v[0] : v;
      if (nested && typeof nested === 'object' && !Array.isArray(nested))
        for (const k of Object.keys(nested)) refs[`${attr}.${k}`] = target;
    }
    if (Object.keys(refs).length) change.refs = refs;
    const region = r.provider?.props.region;
    if (typeof region === 'string' && region) change.providerRegion = region;
    return change;
  });
  return { changes, urnOf };
}

function judge(resources: readonly PackResource[], servicePrincipal: string): PackFinding[] {
  const { changes, urnOf } = changesOf(resources);
  if (!changes.length) return [];
  const input = cmekRuleInput(changes, { roles: PACK_ROLES, servicePrincipal });
  return checkPolicyRules(input)
    .filter((d) => d.address !== undefined && urnOf.has(d.address))
    .map((d) => ({ urn: urnOf.get(d.address!)!, diagnostic: d }));
}

/** What one resource's own properties violate (validateResource). */
export function judgeResource(
  r: PackResource,
  servicePrincipal = DEFAULT_SERVICE_PRINCIPAL,
): PackFinding[] {
  return judge([{ ...r, propertyDependencies: {} }], servicePrincipal);
}

const keyOf = (f: PackFinding) =>
  `${f.urn}\u0000${f.diagnostic.code}\u0000${f.diagnostic.attribute ?? ''}`;

/** What the resources violate together (validateStack): findings no resource shows alone. */
export function judgeStack(
  resources: readonly PackResource[],
  servicePrincipal = DEFAULT_SERVICE_PRINCIPAL,
): PackFinding[] {
  const alone = new Set(resources.flatMap((r) => judgeResource(r, servicePrincipal)).map(keyOf));
  return judge(resources, servicePrincipal).filter((f) => !alone.has(keyOf(f)));
}
