// Adapter from planned resource changes to the rule model, driven by a table of resource roles
// (`ResourceRoles`): which types are keys, key policies or database-like nodes, and which
// attribute names each one's parent, key, region and profile. The `cmek_*` rows come from the
// resource definitions (src/resources builds them from each type's declared role); a foreign
// type (google_sql_database_instance, aws_db_instance, ...) is one more row, not another adapter.
// The engine hands over one change per resource: before/after attributes (after may hold Unknown
// values that carry key facts), the action, source positions, and for attributes that reference
// another resource the referenced address (`refs`), so parents and keys that do not exist yet
// are still linked. Pure: no I/O, no engine imports beyond the value types.

import { containsUnknown, isSensitive, isUnknown, type Value } from '../model/values.js';
import { defaultKeyPolicy } from '../model/policy/index.js';
import type { KeyProvider } from '../model/kms.js';
import type { SourcePos } from '../model/position.js';
import type { Attrs } from '../model/values.js';
import { parseRef } from './keys.js';
import type {
  Action,
  ExternalUse,
  KeyNode,
  KeyView,
  NodeKind,
  NodeView,
  PolicyNode,
  Profile,
  RuleInput,
} from './model.js';
import { DEFAULT_PROFILE, isProfile } from './profiles.js';

export interface CmekResourceChange {
  address: string;
  type: string;
  action: Action;
  before?: Attrs | null;
  after?: Attrs | null;
  /** Where the resource block starts. */
  pos?: SourcePos;
  /** Where each attribute is written. */
  attrPos?: Record<string, SourcePos>;
  /** Attribute name → the address it references (`primary_id` → `cmek_encrypted_service.db`),
   * from the expression's refs; a trailing attribute (`.id`, `.arn`) is ignored. */
  refs?: Record<string, string>;
  /** The region of the provider configuration the resource uses (`provider "aws" { region }`),
   * for roles with `regionFromProvider`. */
  providerRegion?: string;
}

/** A key resource: its reference, its region, and which KMS family it belongs to. */
export interface KeyRole {
  kind: 'key';
  /** The attribute holding the reference services use (ARN / full crypto key name). */
  refAttribute: string;
  /** Other attributes that identify the key (`id`, `key_id`): a literal in a service's key
   * attribute equal to one of them is this key. */
  idAttributes?: readonly string[];
  regionAttribute?: string;
  /** The key's KMS family. */
  provider: KeyProvider;
  /** When this attribute is set the key is a GCP-style key instead (`key_ring`). */
  gcpWhenSet?: string;
  /** No region attribute: the key lives in its provider configuration's region. */
  regionFromProvider?: boolean;
  /** The region is that of another resource this attribute names (`key_ring` → the ring's
   * `location`), or read from a literal `projects/P/locations/L/...` name in it. */
  regionVia?: { attribute: string; regionAttribute: string };
  /** Automatic rotation: on when `attribute` is true (`when: 'true'`) or set (`'set'`). */
  rotation?: { attribute: string; when: 'true' | 'set' };
  /** Waiting period before the key material is deleted: a number of days, or a duration in
   * seconds (`"86400s"`); `defaultDays` when the attribute is not set. */
  deletionWindow?: { attribute: string; unit: 'days' | 'seconds'; defaultDays: number };
  /** The key's default policy is not AWS's account-root policy the local KMS writes (foreign
   * keys: their grant is judged from their own policy or IAM bindings only). */
  noDefaultPolicy?: boolean;
  /** An inline key policy (`aws_kms_key.policy`): judged like a policy resource, for public
   * statements only. */
  policyAttribute?: string;
}

/** An alias naming a key (`aws_kms_alias`): a service that names the alias uses its target. */
export interface AliasRole {
  kind: 'alias';
  /** The alias's own reference (`arn`, `name`). */
  refAttributes: readonly string[];
  /** The attribute naming the target key (`target_key_id`). */
  targetAttribute: string;
}

/** An IAM grant on a key or key ring (`google_kms_crypto_key_iam_member`, `..._binding`). The
 * grants of one key are read as one key policy: a statement per member with the actions of its
 * role, so the policy rules judge them as they judge AWS key policies. */
export interface GrantRole {
  kind: 'grant';
  /** The attribute naming the key (`crypto_key_id`) or the key ring (`key_ring_id`). */
  targetAttribute: string;
  /** `ring`: the grant covers every key whose `regionVia` attribute names that ring. */
  scope: 'key' | 'ring';
  roleAttribute: string;
  /** One member (`member`) or a list (`members`). */
  memberAttribute: string;
  /** IAM role → the KMS actions it grants (roles not listed grant none). */
  roles: Readonly<Record<string, readonly string[]>>;
  /** The members meaning "anyone" (`allUsers`, `allAuthenticatedUsers`). */
  publicMembers: readonly string[];
  /** The service agent that must hold the grant: a member matching `pattern`, or a reference to
   * a resource of `identityType` whose `identityAttribute` equals `identityValue`
   * (`google_project_service_identity` for `sqladmin.googleapis.com`); `placeholder` names it
   * in messages when the plan does not. */
  agent: {
    pattern: string;
    identityType?: string;
    identityAttribute?: string;
    identityValue?: string;
    placeholder: string;
  };
  profile: Profile;
}

/** A resource attaching a key to a node (`clickhouse_service_transparent_data_encryption_key_
 * association`): the node is encrypted with that key as if it named it itself. */
export interface AssociationRole {
  kind: 'association';
  nodeAttribute: string;
  keyAttribute: string;
}

/** A key policy resource: the key it is attached to, the principal it must grant, the document. */
export interface PolicyRole {
  kind: 'policy';
  keyAttribute: string;
  /** Principal to check; when absent or not written, the provider's service principal. */
  principalAttribute?: string;
  /** The policy document (JSON text); absent = generated by the resource, not judged. */
  policyAttribute?: string;
  /** Profiles whose services need the grant to the service principal; absent = every profile.
   * `aws_kms_key_policy` judges it only for ClickHouse (its role calls the KMS itself), not for
   * RDS, which acts through the caller's grants: for a key used by no such service only public
   * statements are judged. */
  judgeGrantFor?: readonly Profile[];
}

/** A database-like resource: a service, or a replica/clone/backup/restore of one. */
export interface NodeRole {
  kind: NodeKind;
  /** The attribute naming the parent (primary, source, service, backup). */
  parentAttribute?: string;
  /** The attribute naming the customer key. */
  keyAttribute?: string;
  /** The key attribute is computed (a backup's key is its service's), never written. */
  keyComputed?: boolean;
  /** State attribute recording the key really in use when `keyAttribute` is inherited. */
  effectiveKeyAttribute?: string;
  /** Boolean attribute saying whether the resource is encrypted with a customer key. */
  encryptedAttribute?: string;
  regionAttribute?: string;
  /** The attribute choosing the profile; nodes without one take their root service's. */
  profileAttribute?: string;
  /** A fixed profile for every resource of the type (foreign types: `cloudsql` for Cloud SQL
   * and RDS, `clickhouse` for ClickHouse Cloud). */
  profile?: Profile;
  /** One type that can be several kinds (`google_sql_database_instance`: a replica when
   * `master_instance_name` is set, a clone with `clone.source_instance_name`, ...): the first
   * variant whose parent attribute is set (a known value, or a reference in the configuration)
   * decides the kind and the parent; none = `kind`. Attribute names may be paths into nested
   * blocks (`clone.source_instance_name`). */
  variants?: ReadonlyArray<{ kind: NodeKind; parentAttribute: string }>;
  /** No region attribute (or not set): the node lives in its provider configuration's region. */
  regionFromProvider?: boolean;
  /** An ARN attribute (`arn:aws:rds:REGION:...`) the region can be read from. */
  arnAttribute?: string;
  /** Other attributes a parent attribute may name this node by (`identifier`, `arn`, `name`). */
  idAttributes?: readonly string[];
  /** The provider stores the key's ARN, so naming the key by an alias shows a change on every
   * plan (CMEK_KEY_ALIAS_REF). */
  storesKeyArn?: boolean;
}

export type NodeRoleKind = NodeRole['kind'];

export type ResourceRole =
  KeyRole | PolicyRole | NodeRole | AliasRole | GrantRole | AssociationRole;

/** The rules' input table: resource type → its role. Types not in the table are ignored. */
export type ResourceRoles = Readonly<Record<string, ResourceRole>>;

export interface CmekRuleInputOptions {
  /** Which resource types are keys, policies and nodes, and their attributes. */
  roles: ResourceRoles;
  /** The principal services use to call the KMS (provider block, or its default). */
  servicePrincipal: string;
  /** Facts about a key reference that is not a key of this plan (e.g. from the KMS). */
  resolveKey?: (ref: string) => KeyView | undefined;
  /** Uses of keys outside the plan (control-plane backups, services not in the config). */
  external?: ExternalUse[];
  /** Account of keys created by this plan (the local KMS: `000000000000`). With it, a key used
   * by a service but without a cmek_kms_key_policy is checked against AWS's default policy for
   * that account, so a cross-account service principal without a grant fails at plan time.
   * Existing keys use the account of their ARN. */
  keyAccount?: string;
}

function roleOf(roles: ResourceRoles, type: string): ResourceRole | undefined {
  return Object.prototype.hasOwnProperty.call(roles, type) ? roles[type] : undefined;
}

function keyRoleOf(roles: ResourceRoles, type: string): KeyRole | undefined {
  const r = roleOf(roles, type);
  return r?.kind === 'key' ? r : undefined;
}

const NODE_KINDS: ReadonlySet<string> = new Set([
  'service',
  'replica',
  'clone',
  'backup',
  'restore',
]);

function isNodeRole(r: ResourceRole): r is NodeRole {
  return NODE_KINDS.has(r.kind);
}

/** `cmek_encrypted_service.db.id` / `cmek_encrypted_service.db[0].id` → the resource address;
 * `module.a.aws_kms_key.k.arn` → `module.a.aws_kms_key.k`. */
function resourceAddress(ref: string): string {
  const m =
    /^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?/.exec(
      ref,
    );
  return m ? m[0] : ref;
}

/** An attribute by name, or by a dotted path into nested blocks (`clone.source_instance_name`):
 * a list of blocks is read through its first element. */
export function attributeAt(attrs: Attrs, name: string): Value | undefined {
  if (!name.includes('.')) return attrs[name];
  let v: Value | undefined = attrs;
  for (const part of name.split('.')) {
    while (Array.isArray(v)) v = v[0];
    if (v === null || v === undefined || typeof v !== 'object' || isUnknown(v)) {
      return isUnknown(v) ? v : undefined;
    }
    if (isSensitive(v)) return undefined;
    v = (v as Record<string, Value>)[part];
  }
  while (Array.isArray(v) && v.length <= 1) v = v[0];
  return v;
}

/** An unknown value that still says which key it will be (address, region or provider). */
function hasFacts(v: Value | undefined): boolean {
  if (!isUnknown(v)) return false;
  const f = v.facts ?? {};
  return f.address !== undefined || f.region !== undefined || f.provider !== undefined;
}

function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Drop undefined fields so views compare and print cleanly. */
function clean(k: KeyView): KeyView {
  const out: KeyView = {};
  if (k.ref !== undefined) out.ref = k.ref;
  if (k.address !== undefined) out.address = k.address;
  if (k.region !== undefined) out.region = k.region;
  if (k.provider !== undefined) out.provider = k.provider;
  if (k.alias !== undefined) out.alias = k.alias;
  if (k.state !== undefined) out.state = k.state;
  return out;
}

/** `projects/P/locations/L/keyRings/R` (or a longer name) → L. */
function locationOf(name: string | undefined): string | undefined {
  return name !== undefined ? /(?:^|\/)locations\/([^/]+)\//.exec(`${name}/`)?.[1] : undefined;
}

/** `arn:PARTITION:SERVICE:REGION:...` → REGION. */
function arnRegion(arn: string | undefined): string | undefined {
  const m = arn !== undefined ? /^arn:[^:]+:[^:]+:([a-z0-9-]+):/.exec(arn) : null;
  return m ? m[1] : undefined;
}

/** Seconds written as `"86400s"` (or a bare number) → whole days, rounded down. */
function days(v: Value | undefined, unit: 'days' | 'seconds'): number | undefined {
  if (unit === 'days') return typeof v === 'number' ? v : undefined;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(v) : null;
  const secs = m ? Number(m[1]) : typeof v === 'number' ? v : undefined;
  return secs === undefined ? undefined : Math.floor(secs / 86400);
}

export function cmekRuleInput(
  resources: readonly CmekResourceChange[],
  opts: CmekRuleInputOptions,
): RuleInput {
  // Current attributes: a destroyed resource is judged by what it was.
  const cur = (r: CmekResourceChange): Attrs =>
    (r.action === 'delete' ? r.before : (r.after ?? r.before)) ?? {};
  const get = attributeAt;
  const byResource = new Map<string, CmekResourceChange>();
  for (const r of resources) if (!byResource.has(r.address)) byResource.set(r.address, r);

  /** The region a key resource's attributes say (attribute, key ring, provider). */
  const keyRegionOf = (role: KeyRole, r: CmekResourceChange, attrs: Attrs): string | undefined => {
    if (role.regionAttribute !== undefined) {
      const v = str(get(attrs, role.regionAttribute));
      if (v !== undefined) return v;
    }
    if (role.regionVia !== undefined) {
      const ref = r.refs?.[role.regionVia.attribute];
      const target = ref !== undefined ? byResource.get(resourceAddress(ref)) : undefined;
      const viaTarget = target ? str(get(cur(target), role.regionVia.regionAttribute)) : undefined;
      const v = viaTarget ?? locationOf(str(get(attrs, role.regionVia.attribute)));
      if (v !== undefined) return v;
    }
    return role.regionFromProvider ? r.providerRegion : undefined;
  };

  /** The view of a key resource from its attributes (e.g. `key_ring` set = a GCP-style key). */
  const keyResourceView = (role: KeyRole, r: CmekResourceChange, attrs: Attrs): KeyView => {
    const flag = role.gcpWhenSet !== undefined ? get(attrs, role.gcpWhenSet) : undefined;
    return clean({
      ref: str(get(attrs, role.refAttribute)),
      address: r.address,
      region: keyRegionOf(role, r, attrs),
      provider: flag !== undefined && flag !== null ? 'gcp' : role.provider,
    });
  };

  // Key resources by address, and every known identifier of a key (arn, id, key_id) → key.
  const keyByAddress = new Map<string, KeyView>();
  const keyById = new Map<string, KeyView>();
  // Any resource's known id → its address, to link parents given as literal ids.
  const addressById = new Map<string, string>();
  const aliases: Array<{ r: CmekResourceChange; role: AliasRole }> = [];
  for (const r of resources) {
    const role = roleOf(opts.roles, r.type);
    const idNames = ['id', ...(role && isNodeRole(role) ? (role.idAttributes ?? []) : [])];
    for (const attrs of [r.before, r.after]) {
      for (const name of idNames) {
        const id = attrs ? str(get(attrs, name)) : undefined;
        if (id !== undefined && !addressById.has(id)) addressById.set(id, r.address);
      }
    }
    if (role?.kind === 'alias') aliases.push({ r, role });
    if (role?.kind !== 'key') continue;
    keyByAddress.set(r.address, keyResourceView(role, r, cur(r)));
    for (const attrs of [r.after, r.before]) {
      if (!attrs) continue;
      const view = keyResourceView(role, r, attrs);
      for (const name of [role.refAttribute, ...(role.idAttributes ?? [])]) {
        const v = str(get(attrs, name));
        if (v !== undefined && !keyById.has(v)) keyById.set(v, view);
      }
    }
  }
  // Aliases: the alias's address and its known names lead to the target key.
  const aliasTarget = new Map<string, KeyView>();
  for (const { r, role } of aliases) {
    const attrs = cur(r);
    const ref = r.refs?.[role.targetAttribute];
    const raw = str(get(attrs, role.targetAttribute));
    const target =
      (ref !== undefined ? keyByAddress.get(resourceAddress(ref)) : undefined) ??
      (raw !== undefined ? keyById.get(raw) : undefined) ??
      (raw !== undefined ? clean({ ref: raw, ...parseRefFacts(raw) }) : {});
    aliasTarget.set(r.address, clean({ ...target, alias: r.address }));
    for (const name of role.refAttributes) {
      const v = str(get(attrs, name));
      if (v !== undefined && !keyById.has(v)) keyById.set(v, clean({ ...target, alias: v }));
    }
  }

  const toKeyView = (v: Value | undefined): KeyView | null => {
    if (v === undefined || v === null) return null;
    if (isUnknown(v)) {
      const f = v.facts ?? {};
      const viaAlias = f.address !== undefined ? aliasTarget.get(f.address) : undefined;
      if (viaAlias) return viaAlias;
      const known = f.address !== undefined ? keyByAddress.get(f.address) : undefined;
      return clean({
        address: f.address,
        region: f.region ?? known?.region,
        provider: f.provider ?? known?.provider,
      });
    }
    if (typeof v !== 'string') return {}; // a key is set, but its identity is not readable
    const parsed = parseRef(v);
    const inPlan = keyById.get(v);
    const resolved = inPlan ? undefined : opts.resolveKey?.(v);
    return clean({
      ref: v,
      address: inPlan?.address ?? resolved?.address,
      // What the reference itself says is certain; then the plan's key, then the resolver.
      region: parsed?.region ?? inPlan?.region ?? resolved?.region,
      provider: parsed?.provider ?? inPlan?.provider ?? resolved?.provider,
      alias: inPlan?.alias,
      state: resolved?.state,
    });
  };

  const parentAddress = (r: CmekResourceChange, attr: string): string | undefined => {
    const ref = r.refs?.[attr];
    if (ref !== undefined) return resourceAddress(ref);
    const v = get(cur(r), attr);
    if (typeof v === 'string') return addressById.get(v);
    if (isUnknown(v) && v.facts?.address !== undefined) return v.facts.address;
    return undefined;
  };

  /** Whether a parent attribute is set: a known non-empty value, or a reference. An unknown
   * value the configuration does not write (computed by the provider) does not count. */
  const parentSet = (r: CmekResourceChange, attr: string): boolean => {
    if (r.refs?.[attr] !== undefined) return true;
    const v = get(cur(r), attr);
    return (typeof v === 'string' && v !== '') || (isUnknown(v) && v.facts?.address !== undefined);
  };

  const nodes: NodeView[] = [];
  const keys: KeyNode[] = [];
  const policies: PolicyNode[] = [];
  const fixedProfile = new Set<NodeView>();
  const grants: Array<{ r: CmekResourceChange; role: GrantRole }> = [];
  const associations: Array<{ r: CmekResourceChange; role: AssociationRole }> = [];
  for (const r of resources) {
    const attrs = cur(r);
    const role = roleOf(opts.roles, r.type);
    if (!role) continue;
    if (role.kind === 'key') {
      const base = r.action === 'delete' || r.action === 'replace' ? (r.before ?? attrs) : attrs;
      const k: KeyNode = {
        address: r.address,
        resourceType: r.type,
        action: r.action,
        key: keyResourceView(role, r, base),
      };
      if (role.rotation) {
        const v = get(base, role.rotation.attribute);
        k.rotationAttribute = role.rotation.attribute;
        if (role.rotation.when === 'true') {
          if (v === true) k.rotation = true;
          else if (v === false || v === null || v === undefined) k.rotation = false;
        } else if (typeof v === 'string' && v !== '') k.rotation = true;
        else if (v === null || v === undefined || v === '') k.rotation = false;
      }
      if (role.deletionWindow) {
        const w = role.deletionWindow;
        const v = get(base, w.attribute);
        k.deletionWindowAttribute = w.attribute;
        const d = v === null || v === undefined ? w.defaultDays : days(v, w.unit);
        if (d !== undefined) k.deletionWindowDays = d;
      }
      if (r.pos) k.pos = r.pos;
      if (r.attrPos) k.attrPos = r.attrPos;
      keys.push(k);
      const inline =
        role.policyAttribute !== undefined ? get(attrs, role.policyAttribute) : undefined;
      if (r.action !== 'delete' && typeof inline === 'string' && inline !== '') {
        const p: PolicyNode = { address: r.address, resourceType: r.type, keyAddress: r.address };
        p.policy = inline;
        if (k.key.ref !== undefined) p.keyRef = k.key.ref;
        if (r.pos) p.pos = r.pos;
        if (r.attrPos) p.attrPos = r.attrPos;
        policies.push(p);
      }
    } else if (role.kind === 'policy') {
      if (r.action !== 'delete') policies.push(policyNode(r, role, attrs));
    } else if (role.kind === 'grant') {
      if (r.action !== 'delete') grants.push({ r, role });
    } else if (role.kind === 'association') {
      associations.push({ r, role });
    } else if (isNodeRole(role)) {
      const n = nodeView(r, role, attrs);
      if (role.profile !== undefined) fixedProfile.add(n);
      nodes.push(n);
    }
  }

  function nodeView(r: CmekResourceChange, role: NodeRole, attrs: Attrs): NodeView {
    const variant = role.variants?.find((v) => parentSet(r, v.parentAttribute));
    const kind = variant?.kind ?? role.kind;
    const parentAttribute = variant ? variant.parentAttribute : role.parentAttribute;
    const keyAttr = role.keyAttribute;
    const profile =
      role.profile ??
      (role.profileAttribute !== undefined ? attrs[role.profileAttribute] : undefined);
    const n: NodeView = {
      address: r.address,
      resourceType: r.type,
      kind,
      action: r.action,
      profile: isProfile(profile) ? profile : DEFAULT_PROFILE,
    };
    if (role.storesKeyArn) n.storesKeyArn = true;
    if (keyAttr !== undefined) n.keyAttribute = keyAttr;
    const regionOf = (a: Attrs) =>
      (role.regionAttribute !== undefined ? str(get(a, role.regionAttribute)) : undefined) ??
      (role.arnAttribute !== undefined ? arnRegion(str(get(a, role.arnAttribute))) : undefined) ??
      (role.regionFromProvider ? r.providerRegion : undefined);
    const region = regionOf(attrs);
    if (region !== undefined) n.region = region;
    const encrypted =
      role.encryptedAttribute !== undefined ? get(attrs, role.encryptedAttribute) : undefined;
    if (keyAttr === undefined) {
      // No key attribute at all: the key is not readable from this resource.
      n.keyWritten = false;
      if (encrypted === false) n.key = null;
    } else if (role.keyComputed) {
      // A computed key (a backup's: the service's key when it was taken) is never written.
      n.keyWritten = false;
      if (typeof get(attrs, keyAttr) === 'string') n.key = toKeyView(get(attrs, keyAttr));
      else if (encrypted === false) n.key = null;
    } else {
      const raw = get(attrs, keyAttr);
      n.keyWritten = raw !== undefined && raw !== null;
      n.key = toKeyView(raw);
      // `kms_key = cmek_kms_key.k.arn` with a known ARN: the reference names the key resource
      // even when the ARN itself is not in the plan's attributes (e.g. a key read from state).
      const keyRef = r.refs?.[keyAttr];
      const refAddr = keyRef !== undefined ? resourceAddress(keyRef) : undefined;
      const refKey = refAddr !== undefined ? keyByAddress.get(refAddr) : undefined;
      if (n.key && refKey && n.key.address === undefined && r.action !== 'delete') {
        n.key = clean({
          ...n.key,
          address: refKey.address,
          region: n.key.region ?? refKey.region,
          provider: n.key.provider ?? refKey.provider,
        });
      }
      const refAlias = refAddr !== undefined ? aliasTarget.get(refAddr) : undefined;
      if (n.key && refAlias && n.key.alias === undefined && r.action !== 'delete') {
        n.key = clean({ ...refAlias, ...n.key, alias: refAlias.alias });
      }
      // Not written (inherited): an existing node is judged by the key it really uses, the
      // effective key recorded in state (or planned, when it follows its primary to a new
      // key), never by the key it would inherit now. A clone whose source rotated keeps its
      // old key; deleting that key would shred it.
      if (!n.keyWritten && role.effectiveKeyAttribute !== undefined && r.action !== 'create') {
        const eff = attrs[role.effectiveKeyAttribute];
        if (r.action !== 'replace' && (typeof eff === 'string' || hasFacts(eff))) {
          n.key = toKeyView(eff);
        }
      }
    }
    if (r.before && r.action !== 'create') {
      const priorRegion = regionOf(r.before);
      if (priorRegion !== undefined) n.priorRegion = priorRegion;
      // What the node really used before: its own key, or (replica/clone/restore/backup) the
      // effective key recorded in state.
      const b = r.before;
      const own = keyAttr !== undefined ? get(b, keyAttr) : undefined;
      const effective =
        role.effectiveKeyAttribute !== undefined ? b[role.effectiveKeyAttribute] : undefined;
      n.priorKey =
        kind === 'service' || (own !== undefined && own !== null)
          ? toKeyView(own)
          : toKeyView(effective);
    }
    if (parentAttribute !== undefined) {
      const p = parentAddress(r, parentAttribute);
      if (p !== undefined) n.parent = p;
    }
    const pos = (keyAttr !== undefined ? r.attrPos?.[keyAttr] : undefined) ?? r.pos;
    if (pos) n.pos = pos;
    if (r.attrPos) n.attrPos = r.attrPos;
    return n;
  }

  function policyNode(r: CmekResourceChange, role: PolicyRole, attrs: Attrs): PolicyNode {
    const p: PolicyNode = { address: r.address, resourceType: r.type };
    const keyId = attrs[role.keyAttribute];
    const refAddr = r.refs?.[role.keyAttribute];
    if (refAddr !== undefined) p.keyAddress = resourceAddress(refAddr);
    else if (typeof keyId === 'string' && keyById.has(keyId))
      p.keyAddress = keyById.get(keyId)!.address;
    else if (isUnknown(keyId) && keyId.facts?.address !== undefined)
      p.keyAddress = keyId.facts.address;
    if (typeof keyId === 'string') p.keyRef = keyId;
    const principalAttr = role.principalAttribute;
    const principal = principalAttr !== undefined ? attrs[principalAttr] : undefined;
    // The planner fills an unwritten service_principal with an Unknown (it is computed); the
    // resource then uses the provider's principal, so when the attribute is not written in the
    // configuration (no source position for it) that is the principal to check.
    const notWritten =
      r.attrPos !== undefined && (principalAttr === undefined || !r.attrPos[principalAttr]);
    if (role.judgeGrantFor !== undefined) p.judgeGrantFor = role.judgeGrantFor;
    if (typeof principal === 'string') p.servicePrincipal = principal;
    else if (principal === undefined || principal === null || (isUnknown(principal) && notWritten))
      p.servicePrincipal = opts.servicePrincipal;
    // An unknown principal stays undefined: the rule cannot judge a grant to nobody-yet-known.
    const policy = role.policyAttribute !== undefined ? attrs[role.policyAttribute] : undefined;
    // A policy with unknown parts (an ARN of a key not created yet) is judged at apply time.
    if (policy !== undefined && policy !== null && !containsUnknown(policy)) p.policy = policy;
    if (r.pos) p.pos = r.pos;
    if (r.attrPos) p.attrPos = r.attrPos;
    return p;
  }

  // IAM grants → one policy per key: a statement per member with its role's actions.
  const ringOf = (r: CmekResourceChange): string[] => {
    const role = keyRoleOf(opts.roles, r.type);
    if (!role?.regionVia) return [];
    const out: string[] = [];
    const ref = r.refs?.[role.regionVia.attribute];
    if (ref !== undefined) out.push(`a:${resourceAddress(ref)}`);
    const v = str(get(cur(r), role.regionVia.attribute));
    if (v !== undefined) {
      out.push(`l:${v}`);
      const ringAddr = addressById.get(v);
      if (ringAddr !== undefined) out.push(`a:${ringAddr}`);
    }
    return out;
  };
  if (grants.length) {
    const byTarget = new Map<string, Array<{ r: CmekResourceChange; role: GrantRole }>>();
    for (const g of grants) {
      const ref = g.r.refs?.[g.role.targetAttribute];
      const raw = str(get(cur(g.r), g.role.targetAttribute));
      let token: string | undefined;
      if (g.role.scope === 'key') {
        const addr =
          ref !== undefined
            ? resourceAddress(ref)
            : raw !== undefined
              ? keyById.get(raw)?.address
              : undefined;
        token = addr !== undefined ? `k:${addr}` : raw !== undefined ? `kr:${raw}` : undefined;
      } else {
        token =
          ref !== undefined
            ? `a:${resourceAddress(ref)}`
            : raw !== undefined
              ? `l:${raw}`
              : undefined;
      }
      if (token === undefined) continue;
      const list = byTarget.get(token);
      if (list) list.push(g);
      else byTarget.set(token, [g]);
    }
    const seen = new Set<string>();
    const emit = (
      keyAddress: string | undefined,
      keyRef: string | undefined,
      list: Array<{ r: CmekResourceChange; role: GrantRole }>,
    ) => {
      if (list.length === 0) return;
      const statements: unknown[] = [];
      let agent: string | undefined;
      let unjudgeable = false;
      const role = list[0]!.role;
      for (const { r, role: gr } of list) {
        const attrs = cur(r);
        const iamRole = str(get(attrs, gr.roleAttribute));
        const actions = iamRole !== undefined ? gr.roles[iamRole] : undefined;
        const rawMembers = get(attrs, gr.memberAttribute);
        const members: Value[] = Array.isArray(rawMembers) ? rawMembers : [rawMembers ?? null];
        const ref = r.refs?.[gr.memberAttribute];
        const refRes = ref !== undefined ? byResource.get(resourceAddress(ref)) : undefined;
        const refIsAgent =
          refRes !== undefined &&
          gr.agent.identityType === refRes.type &&
          gr.agent.identityAttribute !== undefined &&
          get(cur(refRes), gr.agent.identityAttribute) === gr.agent.identityValue;
        for (const m of members) {
          let principal: string | undefined;
          if (typeof m === 'string' && !containsUnknown(m)) {
            principal = gr.publicMembers.includes(m) ? '*' : m;
            if (new RegExp(gr.agent.pattern).test(m)) agent = m;
          } else if (refIsAgent) {
            principal = gr.agent.placeholder;
            agent = gr.agent.placeholder;
          } else if (m !== null) unjudgeable = true;
          if (principal === undefined || !actions || actions.length === 0) continue;
          statements.push({
            Sid: r.address,
            Effect: 'Allow',
            Principal: principal === '*' ? '*' : { AWS: principal },
            Action: [...actions],
            Resource: '*',
          });
        }
      }
      const first = list[0]!.r;
      const p: PolicyNode = {
        address: first.address,
        resourceType: first.type,
        profile: role.profile,
        policy: { Version: '2012-10-17', Statement: statements },
        judgeWhenUsed: true,
      };
      if (keyAddress !== undefined) p.keyAddress = keyAddress;
      if (keyRef !== undefined) p.keyRef = keyRef;
      if (agent !== undefined) p.servicePrincipal = agent;
      else if (!unjudgeable) p.servicePrincipal = role.agent.placeholder;
      if (first.pos) p.pos = first.pos;
      if (first.attrPos) p.attrPos = first.attrPos;
      policies.push(p);
    };
    for (const r of resources) {
      if (!keyRoleOf(opts.roles, r.type) || r.action === 'delete') continue;
      const view = keyByAddress.get(r.address);
      const list = [
        ...(byTarget.get(`k:${r.address}`) ?? []),
        ...(view?.ref !== undefined ? (byTarget.get(`kr:${view.ref}`) ?? []) : []),
        ...ringOf(r).flatMap((t) => byTarget.get(t) ?? []),
      ];
      const unique = [...new Set(list)];
      for (const g of unique) seen.add(g.r.address);
      emit(r.address, view?.ref, unique);
    }
    // Grants on keys that are not in the plan: judged on their own (e.g. a public member).
    for (const g of grants) {
      if (seen.has(g.r.address)) continue;
      const raw = str(get(cur(g.r), g.role.targetAttribute));
      emit(undefined, g.role.scope === 'key' ? raw : undefined, [g]);
    }
  }

  // Keys without a policy resource keep AWS's default policy (the account-root statement).
  const covered = new Set<string | undefined>();
  for (const p of policies) {
    covered.add(p.keyAddress);
    if (p.keyRef !== undefined) covered.add(keyById.get(p.keyRef)?.address);
  }
  for (const r of resources) {
    const keyRole = keyRoleOf(opts.roles, r.type);
    if (!keyRole || keyRole.noDefaultPolicy || r.action === 'delete' || covered.has(r.address))
      continue;
    const view = keyByAddress.get(r.address);
    if (!view || view.provider === 'gcp') continue; // GCP-style keys are granted by IAM roles
    const account =
      parseRef(view.ref)?.account ?? (view.ref === undefined ? opts.keyAccount : undefined);
    if (account === undefined) continue;
    const p: PolicyNode = {
      address: r.address,
      resourceType: r.type,
      keyAddress: r.address,
      servicePrincipal: opts.servicePrincipal,
      policy: defaultKeyPolicy(account),
      implicit: true,
    };
    if (view.ref !== undefined) p.keyRef = view.ref;
    if (r.pos) p.pos = r.pos;
    policies.push(p);
  }

  // Replicas, clones, backups and restores have no profile attribute: they take their service's.
  const byAddress = new Map(nodes.map((n) => [n.address, n] as const));
  const rootProfile = (n: NodeView): Profile => {
    const seen = new Set<NodeView>();
    let x: NodeView | undefined = n;
    while (x && !seen.has(x)) {
      if (x.kind === 'service') return x.profile;
      seen.add(x);
      x = x.parent !== undefined ? byAddress.get(x.parent) : undefined;
    }
    return DEFAULT_PROFILE;
  };
  for (const n of nodes)
    if (n.kind !== 'service' && !fixedProfile.has(n)) n.profile = rootProfile(n);

  // Key associations: the node is encrypted with the associated key as if it named it.
  for (const { r, role } of associations) {
    const target = parentAddress(r, role.nodeAttribute);
    const node = target !== undefined ? byAddress.get(target) : undefined;
    if (!node || r.action === 'delete') continue;
    const raw = get(cur(r), role.keyAttribute);
    let key = toKeyView(raw);
    const ref = r.refs?.[role.keyAttribute];
    const refKey = ref !== undefined ? keyByAddress.get(resourceAddress(ref)) : undefined;
    if (key && refKey && key.address === undefined) key = clean({ ...refKey, ...key });
    node.key = key;
    node.keyWritten = key !== null;
    node.keyAttribute = `${r.address}.${role.keyAttribute}`;
    const pos = r.attrPos?.[role.keyAttribute] ?? r.pos;
    if (pos) {
      node.pos = pos;
      node.attrPos = { ...node.attrPos, [node.keyAttribute]: pos };
    }
    if (r.before && r.action !== 'create')
      node.priorKey = toKeyView(get(r.before, role.keyAttribute));
  }

  const input: RuleInput = { nodes, keys, policies };
  if (opts.external) input.external = opts.external;
  return input;
}

/** Region and provider a key reference states by itself. */
function parseRefFacts(ref: string): Pick<KeyView, 'region' | 'provider'> {
  const p = parseRef(ref);
  return clean({ region: p?.region, provider: p?.provider });
}
