// The `CmekRules` Aspect: at synth it reads the stack's resources (our `cmek_*` constructs, and
// @cdktf/provider-aws / -google / ClickHouse resources through the foreign type table of
// `cmek policy check`, `FOREIGN_ROLES`), builds the rules' input with the same adapter the
// engine uses (`cmekRuleInput`) and runs the same rules and review findings as policy check
// (`checkPolicyRules`). Each finding becomes an annotation on the offending construct: an error
// (`[CMEK_REGION_MISMATCH] ...`, so `app.synth()` throws) or a warning for warning-level ones.
// References between constructs (`${cmek_kms_key.key.arn}`) resolve to the referenced
// resource's address, so a key created in the same stack keeps its region. See docs/cdktf.md.
import * as cdktf from 'cdktf';
import type { IConstruct } from 'constructs';
import type { Diagnostic } from '../model/diagnostics.js';
import { Unknown, type Attrs, type Value } from '../model/values.js';
import { LOCAL_ACCOUNT } from '../kms/local/constants.js';
import { describeResources, RESOURCE_ROLES } from '../resources/index.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../resources/types.js';
import {
  checkPolicyRules,
  cmekRuleInput,
  FOREIGN_ROLES,
  type CmekResourceChange,
  type ResourceRoles,
} from '../rules/index.js';
import { CmekProvider } from './provider.js';

export interface CmekRulesOptions {
  /** The principal services call the KMS as. Default: the stack's `CmekProvider`
   * `servicePrincipal`, else the provider's default. */
  readonly servicePrincipal?: string;
  /** Extra rows for the role table (a resource type of another provider → its role). */
  readonly roles?: ResourceRoles;
}

/** The role table the Aspect reads: other providers' types (the table `cmek policy check`
 * uses), then ours. Resources are recognized by `terraformResourceType`, so no provider
 * package is imported. */
export const CDKTF_ROLES: ResourceRoles = Object.freeze({ ...FOREIGN_ROLES, ...RESOURCE_ROLES });

// Meta-arguments and cdktf metadata in a resource's synthesized block: not attributes.
const META = new Set([
  '//',
  'count',
  'depends_on',
  'for_each',
  'lifecycle',
  'provider',
  'provisioner',
  'connection',
]);

/** Defaults of our own types' attributes, applied as the engine's planner does. */
const DEFAULTS: ReadonlyMap<string, Record<string, Value>> = new Map(
  describeResources().map((d) => [
    d.type,
    Object.fromEntries(
      d.attributes.filter((a) => a.default !== undefined).map((a) => [a.name, a.default!]),
    ),
  ]),
);

/** `${TYPE.NAME.attr}` (a whole-string reference to a managed resource) → `TYPE.NAME.attr`. */
function wholeReference(s: string, addresses: ReadonlySet<string>): string | undefined {
  const m = /^\$\{([A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)((?:\.|\[)[^{}]*)?\}$/.exec(s);
  if (!m || !addresses.has(m[1]!)) return undefined;
  return m[1]! + (m[2] ?? '');
}

/** A resolved synth value → a rule value. A whole-string reference to a resource of the stack
 * becomes an Unknown carrying its address and is recorded in `refs` under its attribute path
 * (`clone.source_instance_name` inside nested blocks, as the role table names them); any other
 * interpolation is just unknown at synth time. */
function toValue(
  v: unknown,
  path: string,
  addresses: ReadonlySet<string>,
  refs: Record<string, string>,
): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const ref = wholeReference(v, addresses);
    if (ref !== undefined) {
      refs[path] = ref;
      return new Unknown({ address: ref.replace(/^([^.]+\.[^.[]+).*$/, '$1') });
    }
    return v.includes('${') ? new Unknown() : v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  // A list of blocks is read through its elements at the same path (as `attributeAt` reads it).
  if (Array.isArray(v)) return v.map((x) => toValue(x, path, addresses, refs));
  if (typeof v === 'object') {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      out[k] = toValue(x, path ? `${path}.${k}` : k, addresses, refs);
    return out;
  }
  return new Unknown();
}

type Block = Record<string, unknown>;

/** The region of the provider configuration a resource block uses (`provider "aws" { region }`,
 * or the aliased one its `provider` meta-argument names), when it is a literal. */
function providerRegion(providers: Record<string, Block[]>, type: string, block: Block) {
  const name = typeof block.provider === 'string' ? block.provider : type.split('_')[0]!;
  const [local, alias] = name.split('.');
  const configs = providers[local!] ?? [];
  const config = configs.find((c) =>
    alias === undefined ? c.alias === undefined : c.alias === alias,
  );
  const region = config?.region;
  return typeof region === 'string' && !region.includes('${') ? region : undefined;
}

interface StackResource {
  construct: cdktf.TerraformResource;
  change: CmekResourceChange;
}

/** The stack's resources as the rules' adapter reads them: one `create` per resource (synth
 * output has no state), attributes resolved, references recorded in `refs`. Every resource,
 * also those of types without a role: the adapter ignores them as nodes but reads them for
 * facts (a Cloud KMS key's region is its key ring's `location`). */
export function stackResources(stack: cdktf.TerraformStack): StackResource[] {
  const all = stack.node.findAll().filter(cdktf.TerraformResource.isTerraformResource);
  const addressOf = (r: cdktf.TerraformResource) =>
    `${r.terraformResourceType}.${r.friendlyUniqueId}`;
  const addresses = new Set(all.map(addressOf));
  // The stack's Terraform JSON, tokens resolved: exactly what synth writes.
  const synthesized = stack.toTerraform() as {
    resource?: Record<string, Record<string, Block>>;
    provider?: Record<string, Block[]>;
  };
  const out: StackResource[] = [];
  for (const r of all) {
    const type = r.terraformResourceType;
    const address = addressOf(r);
    const block = synthesized.resource?.[type]?.[r.friendlyUniqueId] ?? {};
    const after: Attrs = { ...(DEFAULTS.get(type) ?? {}) };
    const refs: Record<string, string> = {};
    for (const [name, raw] of Object.entries(block)) {
      if (!META.has(name)) after[name] = toValue(raw, name, addresses, refs);
    }
    const change: CmekResourceChange = { address, type, action: 'create', after };
    if (Object.keys(refs).length) change.refs = refs;
    const region = providerRegion(synthesized.provider ?? {}, type, block);
    if (region !== undefined) change.providerRegion = region;
    out.push({ construct: r, change });
  }
  return out;
}

/** The stack's CmekProvider, if it has one. */
function cmekProviderOf(stack: cdktf.TerraformStack): CmekProvider | undefined {
  return stack.node.findAll().find((c): c is CmekProvider => c instanceof CmekProvider);
}

/** Run the CMEK rules over a stack; each diagnostic with the construct it is about. */
export function checkStack(
  stack: cdktf.TerraformStack,
  opts: CmekRulesOptions = {},
): Array<{ diagnostic: Diagnostic; construct?: IConstruct }> {
  const roles = { ...CDKTF_ROLES, ...(opts.roles ?? {}) };
  const resources = stackResources(stack);
  const provider = cmekProviderOf(stack)?.config;
  const input = cmekRuleInput(
    resources.map((r) => r.change),
    {
      roles,
      servicePrincipal:
        opts.servicePrincipal ?? provider?.servicePrincipal ?? DEFAULT_SERVICE_PRINCIPAL,
      // Keys of the local KMS live in its account; with AWS the rules use the keys' ARNs.
      ...(provider?.kms?.aws === undefined ? { keyAccount: LOCAL_ACCOUNT } : {}),
    },
  );
  const byAddress = new Map(resources.map((r) => [r.change.address, r.construct] as const));
  return checkPolicyRules(input).map((diagnostic) => {
    const construct =
      diagnostic.address !== undefined ? byAddress.get(diagnostic.address) : undefined;
    return construct ? { diagnostic, construct } : { diagnostic };
  });
}

/** How a diagnostic reads as an annotation: the code first, so tools and people can grep it. */
export function annotationMessage(d: Diagnostic): string {
  const where = [d.address, d.attribute].filter(Boolean).join('.');
  return `[${d.code}] ${d.summary}${where ? ` (${where})` : ''}\n${d.detail}`;
}

/** `Aspects.of(stack).add(new CmekRules())`: the CMEK rules at synth (see docs/cdktf.md). */
export class CmekRules implements cdktf.IAspect {
  private readonly opts: CmekRulesOptions;

  constructor(opts: CmekRulesOptions = {}) {
    this.opts = opts;
  }

  visit(node: IConstruct): void {
    // Run once per synth, on the construct the Aspect was added to (a stack, or a construct
    // inside one: then only findings about resources under it are reported).
    if (!cdktf.Aspects.of(node).all.includes(this)) return;
    const stack = cdktf.TerraformStack.of(node);
    const under = (c: IConstruct) => c.node.path === node.node.path || c.node.scopes.includes(node);
    for (const { diagnostic, construct } of checkStack(stack, this.opts)) {
      const target = construct ?? node;
      if (!under(target)) continue;
      const message = annotationMessage(diagnostic);
      // A second synth of the same tree must not repeat what the first one added.
      if (target.node.metadata.some((m) => m.data === message)) continue;
      if (diagnostic.severity === 'error') cdktf.Annotations.of(target).addError(message);
      else cdktf.Annotations.of(target).addWarning(message);
    }
  }
}
