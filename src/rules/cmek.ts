// Adapter from our own resources (the `cmek_*` types of SPEC 3, as planned by the engine) to the
// rule model. The engine hands over one change per resource: before/after attributes (after may
// hold Unknown values that carry key facts), the action, source positions, and for attributes
// that reference another resource the referenced address (`refs`), so parents and keys that do
// not exist yet are still linked. Pure: no I/O, no engine imports beyond the value types.

import { containsUnknown, isUnknown, type Value } from '../model/values.js';
import { defaultKeyPolicy } from '../model/policy/index.js';
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
}

export interface CmekRuleInputOptions {
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

/** Node types and the attribute that links each to its parent. */
const NODE_TYPES: Record<string, { kind: NodeKind; parentAttr?: string }> = {
  cmek_encrypted_service: { kind: 'service' },
  cmek_replica: { kind: 'replica', parentAttr: 'primary_id' },
  cmek_clone: { kind: 'clone', parentAttr: 'source_id' },
  cmek_backup: { kind: 'backup', parentAttr: 'service_id' },
  cmek_backup_restore: { kind: 'restore', parentAttr: 'backup_id' },
};
const KEY_TYPE = 'cmek_kms_key';
const POLICY_TYPE = 'cmek_kms_key_policy';

/** The resource types this adapter understands. Others are ignored (they are not CMEK nodes). */
export const CMEK_TYPES: readonly string[] = [...Object.keys(NODE_TYPES), KEY_TYPE, POLICY_TYPE];

/** `cmek_encrypted_service.db.id` / `cmek_encrypted_service.db[0].id` → the resource address. */
function resourceAddress(ref: string): string {
  const m = /^[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?/.exec(ref);
  return m ? m[0] : ref;
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
  return out;
}

/** The view of a cmek_kms_key from its attributes (`key_ring` set = a GCP-style key). */
function keyResourceView(address: string, attrs: Attrs): KeyView {
  const ring = attrs.key_ring;
  return clean({
    ref: str(attrs.arn),
    address,
    region: str(attrs.region),
    provider: ring !== undefined && ring !== null ? 'gcp' : 'aws',
  });
}

export function cmekRuleInput(
  resources: readonly CmekResourceChange[],
  opts: CmekRuleInputOptions,
): RuleInput {
  // Current attributes: a destroyed resource is judged by what it was.
  const cur = (r: CmekResourceChange): Attrs =>
    (r.action === 'delete' ? r.before : (r.after ?? r.before)) ?? {};

  // Key resources by address, and every known identifier of a key (arn, id, key_id) → key.
  const keyByAddress = new Map<string, KeyView>();
  const keyById = new Map<string, KeyView>();
  // Any resource's known id → its address, to link parents given as literal ids.
  const addressById = new Map<string, string>();
  for (const r of resources) {
    for (const attrs of [r.before, r.after]) {
      const id = attrs ? str(attrs.id) : undefined;
      if (id !== undefined && !addressById.has(id)) addressById.set(id, r.address);
    }
    if (r.type !== KEY_TYPE) continue;
    keyByAddress.set(r.address, keyResourceView(r.address, cur(r)));
    for (const attrs of [r.after, r.before]) {
      if (!attrs) continue;
      const view = keyResourceView(r.address, attrs);
      for (const name of ['arn', 'id', 'key_id']) {
        const v = str(attrs[name]);
        if (v !== undefined && !keyById.has(v)) keyById.set(v, view);
      }
    }
  }

  const toKeyView = (v: Value | undefined): KeyView | null => {
    if (v === undefined || v === null) return null;
    if (isUnknown(v)) {
      const f = v.facts ?? {};
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
    });
  };

  const parentAddress = (r: CmekResourceChange, attr: string): string | undefined => {
    const ref = r.refs?.[attr];
    if (ref !== undefined) return resourceAddress(ref);
    const v = cur(r)[attr];
    if (typeof v === 'string') return addressById.get(v);
    if (isUnknown(v) && v.facts?.address !== undefined) return v.facts.address;
    return undefined;
  };

  const nodes: NodeView[] = [];
  const keys: KeyNode[] = [];
  const policies: PolicyNode[] = [];
  for (const r of resources) {
    const attrs = cur(r);
    const nodeType = NODE_TYPES[r.type];
    if (nodeType) {
      nodes.push(nodeView(r, nodeType.kind, attrs, nodeType.parentAttr));
    } else if (r.type === KEY_TYPE) {
      const base = r.action === 'delete' || r.action === 'replace' ? (r.before ?? attrs) : attrs;
      const k: KeyNode = {
        address: r.address,
        resourceType: r.type,
        action: r.action,
        key: keyResourceView(r.address, base),
      };
      if (r.pos) k.pos = r.pos;
      keys.push(k);
    } else if (r.type === POLICY_TYPE && r.action !== 'delete') {
      policies.push(policyNode(r, attrs));
    }
  }

  function nodeView(
    r: CmekResourceChange,
    kind: NodeKind,
    attrs: Attrs,
    parentAttr: string | undefined,
  ): NodeView {
    const n: NodeView = {
      address: r.address,
      resourceType: r.type,
      kind,
      action: r.action,
      profile: isProfile(attrs.profile) ? attrs.profile : DEFAULT_PROFILE,
      keyAttribute: 'kms_key',
    };
    const region = str(attrs.region);
    if (region !== undefined) n.region = region;
    if (kind === 'backup') {
      // A backup's kms_key is computed (the service's key when it was taken), never written.
      n.keyWritten = false;
      if (typeof attrs.kms_key === 'string') n.key = toKeyView(attrs.kms_key);
      else if (attrs.encrypted === false) n.key = null;
    } else {
      const raw = attrs.kms_key;
      n.keyWritten = raw !== undefined && raw !== null;
      n.key = toKeyView(raw);
      // `kms_key = cmek_kms_key.k.arn` with a known ARN: the reference names the key resource
      // even when the ARN itself is not in the plan's attributes (e.g. a key read from state).
      const refAddr = r.refs?.kms_key !== undefined ? resourceAddress(r.refs.kms_key) : undefined;
      const refKey = refAddr !== undefined ? keyByAddress.get(refAddr) : undefined;
      if (n.key && refKey && n.key.address === undefined && r.action !== 'delete') {
        n.key = clean({
          ...n.key,
          address: refKey.address,
          region: n.key.region ?? refKey.region,
          provider: n.key.provider ?? refKey.provider,
        });
      }
    }
    if (r.before && r.action !== 'create') {
      const priorRegion = str(r.before.region);
      if (priorRegion !== undefined) n.priorRegion = priorRegion;
      // What the node really used before: its own key, or (replica/clone/restore/backup) the
      // effective key recorded in state.
      const b = r.before;
      const own = b.kms_key;
      n.priorKey =
        kind === 'service' || (own !== undefined && own !== null)
          ? toKeyView(own)
          : toKeyView(b.effective_kms_key);
    }
    if (parentAttr) {
      const p = parentAddress(r, parentAttr);
      if (p !== undefined) n.parent = p;
    }
    const pos = r.attrPos?.kms_key ?? r.pos;
    if (pos) n.pos = pos;
    if (r.attrPos) n.attrPos = r.attrPos;
    return n;
  }

  function policyNode(r: CmekResourceChange, attrs: Attrs): PolicyNode {
    const p: PolicyNode = { address: r.address, resourceType: r.type };
    const keyId = attrs.key_id;
    const refAddr = r.refs?.key_id;
    if (refAddr !== undefined) p.keyAddress = resourceAddress(refAddr);
    else if (typeof keyId === 'string' && keyById.has(keyId))
      p.keyAddress = keyById.get(keyId)!.address;
    else if (isUnknown(keyId) && keyId.facts?.address !== undefined)
      p.keyAddress = keyId.facts.address;
    if (typeof keyId === 'string') p.keyRef = keyId;
    const principal = attrs.service_principal;
    // The planner fills an unwritten service_principal with an Unknown (it is computed); the
    // resource then uses the provider's principal, so when the attribute is not written in the
    // configuration (no source position for it) that is the principal to check.
    const notWritten = r.attrPos !== undefined && r.attrPos.service_principal === undefined;
    if (typeof principal === 'string') p.servicePrincipal = principal;
    else if (principal === undefined || principal === null || (isUnknown(principal) && notWritten))
      p.servicePrincipal = opts.servicePrincipal;
    // An unknown principal stays undefined: the rule cannot judge a grant to nobody-yet-known.
    const policy = attrs.policy;
    // A policy with unknown parts (an ARN of a key not created yet) is judged at apply time.
    if (policy !== undefined && policy !== null && !containsUnknown(policy)) p.policy = policy;
    if (r.pos) p.pos = r.pos;
    if (r.attrPos) p.attrPos = r.attrPos;
    return p;
  }

  // Keys without a policy resource keep AWS's default policy (the account-root statement).
  const covered = new Set<string | undefined>();
  for (const p of policies) {
    covered.add(p.keyAddress);
    if (p.keyRef !== undefined) covered.add(keyById.get(p.keyRef)?.address);
  }
  for (const r of resources) {
    if (r.type !== KEY_TYPE || r.action === 'delete' || covered.has(r.address)) continue;
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
  for (const n of nodes) if (n.kind !== 'service') n.profile = rootProfile(n);

  const input: RuleInput = { nodes, keys, policies };
  if (opts.external) input.external = opts.external;
  return input;
}
