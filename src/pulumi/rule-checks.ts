// The checks one Pulumi resource's inputs allow before anything is created: the definition's
// schema on the known values, then the CMEK rules (src/rules `checkRules` through
// `cmekRuleInput` and the definitions' role table) on the planned change, with the facts the
// KMS knows about a key named by a literal reference.
import type { Diagnostic } from '../model/diagnostics.js';
import { diag } from '../model/diagnostics.js';
import { isUnknown, type Attrs } from '../model/values.js';
import type { DefinedResource } from '../resources/define.js';
import { RESOURCE_ROLES } from '../resources/index.js';
import type { ProviderContext, ProviderSettings } from '../resources/types.js';
import { checkRules, cmekRuleInput, type KeyView } from '../rules/index.js';

export async function pulumiResourceChecks(
  rt: DefinedResource,
  config: Attrs,
  prior: Attrs | undefined,
  settings: ProviderSettings,
  getCtx: () => Promise<ProviderContext>,
): Promise<Diagnostic[]> {
  const known: Attrs = {};
  const unknown = new Set<string>();
  for (const [k, v] of Object.entries(config)) {
    if (isUnknown(v)) unknown.add(k);
    else known[k] = v;
  }
  const res = rt.schema.safeParse(known);
  if (!res.success) {
    const out: Diagnostic[] = [];
    for (const issue of res.error.issues) {
      const attr = issue.path.length ? String(issue.path[0]) : undefined;
      if (attr !== undefined && unknown.has(attr)) continue;
      if (issue.code === 'custom' && unknown.size) continue;
      out.push(
        diag(
          'CONFIG_SCHEMA',
          attr ? `Invalid value for "${attr}"` : `Invalid ${rt.type} arguments`,
          `${issue.message}. Fix the value in the program (see docs for ${rt.type}).`,
          attr ? { attribute: attr } : {},
        ),
      );
    }
    if (out.length) return out;
  }
  const planned = rt.plan({ config, ...(prior ? { prior } : {}) });
  const action = !prior ? 'create' : planned.requiresReplace.length ? 'replace' : 'update';
  const keyFacts = new Map<string, KeyView>();
  const role = rt.definition.role;
  const keyAttr = role && role.kind !== 'key' ? role.keyAttribute : undefined;
  const ref = keyAttr ? planned.after[keyAttr] : undefined;
  if (typeof ref === 'string') {
    try {
      const m = await (await getCtx()).kms.describeKey(ref);
      keyFacts.set(ref, { ref, region: m.region, provider: m.provider });
    } catch {
      // Not found / no access: the rules judge what the reference itself says.
    }
  }
  const input = cmekRuleInput(
    [
      {
        address: `${rt.type}.this`,
        type: rt.type,
        action,
        before: prior ?? null,
        after: planned.after,
      },
    ],
    {
      roles: RESOURCE_ROLES,
      servicePrincipal: settings.servicePrincipal,
      resolveKey: (r) => keyFacts.get(r),
    },
  );
  return checkRules(input);
}
