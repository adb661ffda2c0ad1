// The CMEK rules for ONE resource, plus what the KMS and the control plane know. Front doors
// that see one resource at a time — the Terraform provider plugin (PlanResourceChange) and the
// Pulumi dynamic providers (check/diff) — call `checkResource`: it builds the same RuleInput the
// engine builds for a whole plan, from the resource's prior and planned attributes and the
// facts that exist already (an existing key's region, an existing parent service's key, region
// and profile, backups and services that still use a key), and runs the same rule functions
// (src/rules). What one resource cannot see — two resources that are both new and linked by a
// value not known yet — is left to `cmek policy check` on the whole plan (docs/terraform.md).
//
// Values not known yet may carry terraform's refinements (`Unknown.refinement`): a string
// prefix `arn:aws:kms:eu-west-1:000000000000:key/` or `projects/P/locations/L/keyRings/R/
// cryptoKeys/` tells the key's family and region before the key exists, so a service in
// another region fails at plan time. `keyRefPrefix` builds those prefixes for a planned key.
//
// Pure over a `CheckFacts` lookup (no protocol types); `liveFacts` is the real lookup over a
// ProviderContext.

import type { Diagnostic } from '../model/diagnostics.js';
import { Unknown, isUnknown, type Attrs, type Value } from '../model/values.js';
import {
  checkRules,
  cmekRuleInput,
  type CmekResourceChange,
  type ExternalUse,
  type KeyView,
  type NodeRole,
  type ResourceRole,
} from '../rules/index.js';
import { parseRef } from '../rules/keys.js';
import { controlPlaneFor } from './context.js';
import { keyFactsOfPrefix } from './key-prefix.js';
import { valuesEqual } from './common.js';
import { RESOURCE_ROLES } from './index.js';
import type { ProviderContext } from './types.js';

export { keyFactsOfPrefix, keyRefPrefix } from './key-prefix.js';

/** An existing service (or replica, clone, restore) as the rules need it. */
export interface ServiceFact {
  id: string;
  name: string;
  kind: 'service' | 'replica' | 'clone' | 'restore';
  region: string;
  profile: 'clickhouse' | 'cloudsql';
  /** The customer key reference; null = not CMEK. */
  kmsKey: string | null;
}

/** An existing backup as the rules need it. */
export interface BackupFact {
  id: string;
  serviceId: string;
  serviceName: string;
  region: string;
  profile: 'clickhouse' | 'cloudsql';
  kmsKey: string | null;
}

/** Something outside the resource that uses a key (a service, replica, backup ...). */
export interface KeyUse {
  /** Id of the user (`svc-...`, `bkp-...`). */
  id: string;
  description: string;
  /** The key it uses: the ARN (or GCP name) that wraps its data. */
  keyRef: string;
}

/** What already exists, as the checks may ask it. Every lookup may answer undefined (not found,
 * not reachable): a rule without its fact stays silent rather than guessing. */
export interface CheckFacts {
  /** The principal services call the KMS as (provider setting). */
  servicePrincipal: string;
  /** Region and family of an existing key named by an ARN, key id, alias or GCP name. */
  key(ref: string): Promise<KeyView | undefined>;
  /** An existing service by id or name. */
  service(ref: string): Promise<ServiceFact | undefined>;
  backup(id: string): Promise<BackupFact | undefined>;
  /** Every use of a customer key in the control plane (for destroying a key). */
  keyUses(): Promise<KeyUse[]>;
}

export interface ResourceCheck {
  type: string;
  /** How diagnostics name the resource (`cmek_encrypted_service.db`, or a label). */
  address: string;
  /** State before the change; null = the resource is created. */
  prior: Attrs | null;
  /** Planned state (may hold Unknown, refined or not); null = the resource is destroyed. */
  planned: Attrs | null;
  /** Attributes whose change replaces the resource (the plan's requiresReplace). */
  requiresReplace?: readonly string[];
  /** Ids of objects known to be destroyed in the same run: their key uses do not count. */
  leaving?: ReadonlySet<string>;
}

function roleOf(type: string): ResourceRole | undefined {
  return Object.prototype.hasOwnProperty.call(RESOURCE_ROLES, type)
    ? RESOURCE_ROLES[type]
    : undefined;
}

/** A refined unknown key reference as the rules read it: an Unknown naming a new key (a label
 * made of the prefix) with its region and family; anything else unchanged. */
function keyValue(v: Value | undefined): { value: Value | undefined; newKey?: CmekResourceChange } {
  if (!isUnknown(v) || v.facts || !v.refinement?.prefix) return { value: v };
  const f = keyFactsOfPrefix(v.refinement.prefix);
  if (!f) return { value: v };
  const address = `${v.refinement.prefix}…`;
  const value = new Unknown({
    address,
    provider: f.provider,
    ...(f.region ? { region: f.region } : {}),
  });
  // A refined unknown key reference comes from a key being created: declaring it as a created
  // key lets the rules know it differs from every existing key.
  const newKey: CmekResourceChange = {
    address,
    type: 'cmek_kms_key',
    action: 'create',
    after: {
      region: f.region ?? new Unknown(),
      key_ring: f.provider === 'gcp' ? 'ring' : null,
      arn: value,
    },
  };
  return { value, newKey };
}

function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** How rule messages name an existing service or backup. */
function serviceLabel(s: { name: string; id: string }): string {
  return `service ${s.name} (${s.id})`;
}

/** An existing service as a node of the rule input (its kind does not matter to its children:
 * they read its key, region and profile). */
function serviceChange(s: ServiceFact): CmekResourceChange {
  const attrs: Attrs = {
    id: s.id,
    name: s.name,
    region: s.region,
    profile: s.profile,
    kms_key: s.kmsKey,
    encrypted: s.kmsKey !== null,
  };
  return {
    address: serviceLabel(s),
    type: 'cmek_encrypted_service',
    action: 'noop',
    before: attrs,
    after: attrs,
  };
}

function backupChanges(b: BackupFact): CmekResourceChange[] {
  const service = serviceChange({
    id: b.serviceId,
    name: b.serviceName,
    kind: 'service',
    region: b.region,
    profile: b.profile,
    kmsKey: b.kmsKey,
  });
  const attrs: Attrs = {
    id: b.id,
    service_id: b.serviceId,
    encrypted: b.kmsKey !== null,
    kms_key: b.kmsKey,
  };
  return [
    service,
    {
      address: `backup ${b.id} of ${b.serviceName}`,
      type: 'cmek_backup',
      action: 'noop',
      before: attrs,
      after: attrs,
      refs: { service_id: service.address },
    },
  ];
}

function actionOf(c: ResourceCheck): CmekResourceChange['action'] {
  if (!c.prior) return 'create';
  if (!c.planned) return 'delete';
  if (c.requiresReplace?.length) return 'replace';
  const keys = new Set([...Object.keys(c.prior), ...Object.keys(c.planned)]);
  for (const k of keys) if (!valuesEqual(c.prior[k], c.planned[k])) return 'update';
  return 'noop';
}

/** The key references a resource names (its key attribute, effective key, policy's key). */
function keyAttributes(role: ResourceRole): string[] {
  if (role.kind === 'policy') return [role.keyAttribute];
  if (role.kind === 'key') return [];
  const r = role as NodeRole;
  return [r.keyAttribute, r.effectiveKeyAttribute].filter((a): a is string => a !== undefined);
}

/** The CMEK rules for one resource's change: diagnostics about that resource only (its
 * `address`), each naming its attribute. Facts that cannot be read leave their rules silent. */
export async function checkResource(c: ResourceCheck, facts: CheckFacts): Promise<Diagnostic[]> {
  const role = roleOf(c.type);
  if (!role) return [];
  const action = actionOf(c);
  if (action === 'noop') return [];
  const changes: CmekResourceChange[] = [];

  // The resource itself, with refined unknown key references made into known-region keys.
  const after = c.planned ? { ...c.planned } : null;
  if (after) {
    for (const a of keyAttributes(role)) {
      const { value, newKey } = keyValue(after[a]);
      if (value !== undefined) after[a] = value;
      if (newKey) changes.push(newKey);
    }
    // A policy that leaves its principal to the provider grants the provider's principal.
    if (role.kind === 'policy' && role.principalAttribute !== undefined) {
      const p = after[role.principalAttribute];
      if (p === null || p === undefined || isUnknown(p))
        after[role.principalAttribute] = facts.servicePrincipal;
    }
  }
  const self: CmekResourceChange = {
    address: c.address,
    type: c.type,
    action,
    before: c.prior,
    after,
  };
  changes.unshift(self);

  // The parent (primary, source, service, backup), when it already exists.
  // Only database-like roles have a parent (alias, grant and association roles do not).
  if ('parentAttribute' in role && role.parentAttribute !== undefined) {
    const ref = str((after ?? c.prior ?? {})[role.parentAttribute]);
    if (ref !== undefined) {
      if (role.kind === 'restore') {
        const b = await facts.backup(ref);
        if (b) {
          const [svc, bk] = backupChanges(b);
          changes.push(svc!, bk!);
          self.refs = { [role.parentAttribute]: bk!.address };
        }
      } else {
        const s = await facts.service(ref);
        if (s) {
          const p = serviceChange(s);
          changes.push(p);
          self.refs = { [role.parentAttribute]: p.address };
        }
      }
    }
  }

  // Facts about the existing keys named by literal references.
  const known = new Map<string, KeyView>();
  const refs = new Set<string>();
  for (const ch of changes) {
    const r = roleOf(ch.type);
    if (!r) continue;
    for (const attrs of [ch.before, ch.after])
      for (const a of keyAttributes(r)) {
        const v = str(attrs?.[a]);
        if (v !== undefined && parseRef(v) !== undefined) refs.add(v);
      }
  }
  await Promise.all(
    [...refs].map(async (ref) => {
      const k = await facts.key(ref);
      if (k) known.set(ref, k);
    }),
  );

  // Destroying (or replacing) a key: what still uses it outside this resource.
  let external: ExternalUse[] | undefined;
  if (role.kind === 'key' && (action === 'delete' || action === 'replace')) {
    external = (await facts.keyUses())
      .filter((u) => !c.leaving?.has(u.id))
      .map((u) => {
        const k = known.get(u.keyRef);
        return {
          description: u.description,
          key: {
            ref: u.keyRef,
            ...(k?.region ? { region: k.region } : {}),
            ...(k?.provider ? { provider: k.provider } : {}),
          },
        };
      });
  }

  const input = cmekRuleInput(changes, {
    roles: RESOURCE_ROLES,
    servicePrincipal: facts.servicePrincipal,
    resolveKey: (ref) => known.get(ref),
    ...(external?.length ? { external } : {}),
  });
  return checkRules(input).filter((d) => d.address === c.address);
}

/** Every use of a customer key in the control plane of `ctx`: services (by the ARN that wraps
 * their service key: an alias may have moved since) and backups, which outlive their service
 * and die with its key. `outside`: the caller knows these are not managed by its configuration
 * (the engine filters out its own), and the descriptions say so. */
export async function keyUsesOf(ctx: ProviderContext, outside = false): Promise<KeyUse[]> {
  const note = outside ? ', not managed by this configuration' : '';
  const cp = await controlPlaneFor(ctx);
  const services = (await cp.list())
    .filter((s) => typeof s.kmsKey === 'string' && s.kmsKey)
    .map((s) => ({
      id: s.id,
      description: `${s.kind === 'service' ? 'service' : s.kind} ${s.name} (${s.id}${note})`,
      keyRef: s.kekArn || s.kmsKey!,
    }));
  const backups = (await cp.backups.list())
    .filter((b) => b.encrypted && b.kmsKey)
    .map((b) => ({
      id: b.id,
      description: `backup ${b.id} of ${b.serviceName} (${outside ? 'not managed by this configuration; ' : ''}delete it with \`cmek backup rm ${b.id}\` if it is no longer needed)`,
      keyRef: b.keyOwner === 'customer' && b.kekArn ? b.kekArn : b.kmsKey!,
    }));
  return [...services, ...backups];
}

/** The real facts: the KMS and the control plane of the context (made on first use). */
export function liveFacts(
  ctx: () => Promise<ProviderContext>,
  servicePrincipal: string,
): CheckFacts {
  const quiet = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch {
      // Not found / not reachable: the rule that needed the fact stays silent; apply reports.
      return undefined;
    }
  };
  return {
    servicePrincipal,
    key: (ref) =>
      quiet(async () => {
        const m = await (await ctx()).kms.describeKey(ref);
        return { ref, region: m.region, provider: m.provider };
      }),
    service: (ref) =>
      quiet(async () => {
        const s = await (await controlPlaneFor(await ctx())).get(ref);
        if (!s) return undefined;
        return {
          id: s.id,
          name: s.name,
          kind: s.kind,
          region: s.region,
          profile: s.profile,
          kmsKey: s.keyOwner === 'customer' ? s.kekArn || s.kmsKey : null,
        };
      }),
    backup: (id) =>
      quiet(async () => {
        const b = await (await controlPlaneFor(await ctx())).backups.get(id);
        if (!b) return undefined;
        return {
          id: b.id,
          serviceId: b.serviceId,
          serviceName: b.serviceName,
          region: b.region,
          profile: b.profile,
          kmsKey: b.encrypted ? b.kekArn || b.kmsKey : null,
        };
      }),
    keyUses: async () => await keyUsesOf(await ctx()),
  };
}
