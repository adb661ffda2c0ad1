// Inheritance rules: same-region replicas, clones and (clickhouse) restores of an
// encrypted backup use the key of what they come from; a cross-region replica of an encrypted
// primary needs its own key in its region; a replica of an unencrypted primary has none.
// Each rule is silent when the parent or its key is not known at plan time.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey, keyRegion, type Sameness } from './keys.js';
import type { KeyView, NodeKind, NodeView, RuleInput, RuleMessage } from './model.js';
import { profileFacts } from './profiles.js';

/** Live nodes of one kind with their parent, when the parent is in the input. */
function withParent(
  input: RuleInput,
  ctx: RuleContext,
  kind: NodeKind,
): Array<{ node: NodeView; parent: NodeView }> {
  const out: Array<{ node: NodeView; parent: NodeView }> = [];
  for (const node of input.nodes) {
    if (node.kind !== kind || !isLive(node)) continue;
    const parent = ctx.parentOf(node);
    if (parent) out.push({ node, parent });
  }
  return out;
}

/** The key the node writes itself, if any. */
function writtenKey(node: NodeView): KeyView | undefined {
  return keyIsWritten(node) && node.key ? node.key : undefined;
}

/** The codes of the inheritance rules about a node's own key. */
export type InheritedKeyCode =
  | 'CMEK_REPLICA_UNENCRYPTED_PRIMARY'
  | 'CMEK_REPLICA_KEY_INHERITED'
  | 'CMEK_REPLICA_KEY_REQUIRED'
  | 'CMEK_CLONE_KEY_INHERITED'
  | 'CMEK_RESTORE_KEY_INHERITED';

/** Whether the key a replica, clone or restore names itself conflicts with what it inherits,
 * on facts both the plan and the control plane have: whether the parent (primary, source,
 * backup) is encrypted with a customer-managed key, whether the node is in the parent's region,
 * and `own`: `none` when the node names no key, else how its key compares with the parent's
 * (`unknown` is never a conflict). Undefined facts are not known yet and never conflict.
 * Returns the code of the conflict, or undefined. */
export function inheritedKeyConflict(
  profile: unknown,
  kind: 'replica' | 'clone' | 'restore',
  f: {
    parentEncrypted: boolean | undefined;
    sameRegion?: boolean | undefined;
    own: 'none' | Sameness;
  },
): InheritedKeyCode | undefined {
  const facts = profileFacts(profile);
  const named = f.own !== 'none';
  if (kind === 'replica') {
    if (f.parentEncrypted === false) return named ? 'CMEK_REPLICA_UNENCRYPTED_PRIMARY' : undefined;
    if (f.parentEncrypted !== true) return undefined;
    if (f.sameRegion === true && facts.sameRegionReplicaInherits && f.own === 'different')
      return 'CMEK_REPLICA_KEY_INHERITED';
    if (f.sameRegion === false && facts.crossRegionReplicaNeedsKey && !named)
      return 'CMEK_REPLICA_KEY_REQUIRED';
    return undefined;
  }
  if (kind === 'clone') {
    if (!facts.cloneInherits || !named || f.parentEncrypted === undefined) return undefined;
    return !f.parentEncrypted || f.own === 'different' ? 'CMEK_CLONE_KEY_INHERITED' : undefined;
  }
  if (facts.restoreEncryptedBackup !== 'inherit' || f.parentEncrypted !== true) return undefined;
  return f.own === 'different' ? 'CMEK_RESTORE_KEY_INHERITED' : undefined;
}

/** Whether a clone in another region than its source conflicts with the key it inherits: an
 * encrypted source's key exists only in the source's region. */
export function cloneRegionConflict(
  profile: unknown,
  f: { parentEncrypted: boolean | undefined; sameRegion: boolean | undefined },
): boolean {
  return (
    profileFacts(profile).cloneInherits && f.parentEncrypted === true && f.sameRegion === false
  );
}

// The texts of the inheritance rules. `subject` is the node (an address, or `service NAME`),
// `parent` its primary, source or backup, keys are already described (describeKey).

export function replicaKeyInheritedMessage(f: {
  subject: string;
  region: string;
  own: string;
  primaryKey: string;
  attribute: string;
}): RuleMessage {
  return {
    summary:
      `${f.subject} is in the primary's region ${f.region} but names ${f.own} ` +
      `instead of the primary's key ${f.primaryKey}`,
    detail:
      `A replica in the same region as its primary inherits the primary's key; another key ` +
      `cannot be assigned to it.\n` +
      `Remedy: remove ${f.attribute} from ${f.subject} (it inherits ` +
      `${f.primaryKey}), or set it to that same key.`,
  };
}

export function replicaKeyRequiredMessage(f: {
  subject: string;
  parent: string;
  primaryRegion: string;
  region: string;
  attribute: string;
}): RuleMessage {
  return {
    summary:
      `${f.subject} replicates encrypted ${f.parent} from ${f.primaryRegion} to ` +
      `${f.region} but names no key in ${f.region}`,
    detail:
      `A cross-region replica of an encrypted primary cannot use the primary's key (keys are ` +
      `regional); each region uses its own key.\n` +
      `Remedy: create a key in ${f.region} (cmek_kms_key with region = "${f.region}", granted to ` +
      `the service principal) and set ${f.attribute} on ${f.subject} to it.`,
  };
}

export function replicaUnencryptedPrimaryMessage(f: {
  subject: string;
  own: string;
  parent: string;
  attribute: string;
}): RuleMessage {
  return {
    summary:
      `${f.subject} names ${f.own} but its primary ${f.parent} is not ` +
      `encrypted with a customer-managed key`,
    detail:
      `A replica follows its primary's encryption: a primary without CMEK cannot have a CMEK ` +
      `replica, and CMEK cannot be added to the existing primary.\n` +
      `Remedy: remove ${f.attribute} from the replica, or create an encrypted copy first ` +
      `(back up ${f.parent}, restore the backup with a kms_key) and replicate that.`,
  };
}

/** CMEK_CLONE_KEY_INHERITED about the key; `sourceKey` null: the source has no customer key. */
export function cloneKeyMessage(f: {
  subject: string;
  own: string;
  parent: string;
  sourceKey: string | null;
  attribute: string;
}): RuleMessage {
  return {
    summary:
      f.sourceKey === null
        ? `${f.subject} names ${f.own} but its source ${f.parent} is ` +
          `not encrypted with a customer-managed key`
        : `${f.subject} names ${f.own} instead of its source's key ${f.sourceKey}`,
    detail:
      `A clone inherits the encryption of its source; another key cannot be assigned to it.\n` +
      `Remedy: remove ${f.attribute} from the clone` +
      (f.sourceKey === null
        ? `. To get an encrypted copy, back up ${f.parent} and restore the backup ` +
          `with a kms_key.`
        : ` (it inherits ${f.sourceKey}). To copy the data under another key, ` +
          `back up the source and restore the backup with that key.`),
  };
}

/** CMEK_CLONE_KEY_INHERITED about the region; `sourceKey` null: the source has no customer key
 * (the control plane still keeps a clone in its source's region). */
export function cloneRegionMessage(f: {
  subject: string;
  region: string;
  parent: string;
  sourceKey: string | null;
  sourceRegion: string;
}): RuleMessage {
  return {
    summary:
      f.sourceKey === null
        ? `${f.subject} is in ${f.region} but its source ${f.parent} is in ${f.sourceRegion}`
        : `${f.subject} is in ${f.region} but its encrypted source ${f.parent} (key ` +
          `${f.sourceKey}) is in ${f.sourceRegion}`,
    detail:
      (f.sourceKey === null
        ? `A clone lives in its source's region, ${f.sourceRegion}.\n`
        : `A clone inherits its source's key, and that key exists only in ${f.sourceRegion}.\n`) +
      `Remedy: clone in ${f.sourceRegion} (remove region or set region = "${f.sourceRegion}"). ` +
      `For a copy in ${f.region}, use a cross-region replica with a key in ${f.region}, or ` +
      `restore a backup there.`,
  };
}

export function restoreKeyInheritedMessage(f: {
  subject: string;
  parent: string;
  backupKey: string;
  own: string;
  profile: string;
  attribute: string;
  /** The restore's region and the backup key's region, when known: into another region,
   * inheriting the backup's (regional) key cannot work either. */
  region?: string | undefined;
  keyRegion?: string | undefined;
}): RuleMessage {
  const remedy =
    f.region !== undefined && f.keyRegion !== undefined && f.region !== f.keyRegion
      ? `Remedy: restore in ${f.keyRegion}, the region of the backup's key (region = ` +
        `"${f.keyRegion}", without ${f.attribute}), then add a cmek_replica of it in ${f.region} ` +
        `with a kms_key created in ${f.region}.`
      : `Remedy: remove ${f.attribute} (the restore inherits ${f.backupKey}), ` +
        `then rotate the restored service to the other key (same KMS provider) if needed.`;
  return {
    summary:
      `${f.subject} restores ${f.parent}, encrypted with ${f.backupKey}, ` + `but names ${f.own}`,
    detail:
      `With the ${f.profile} profile, restoring an encrypted backup creates a service that ` +
      `uses the backup's key; another key is refused.\n${remedy}`,
  };
}

/** How the key a node writes compares with its parent's, for inheritedKeyConflict. */
function ownSameness(ctx: RuleContext, own: KeyView | undefined, parentKey: KeyView | null) {
  if (!own) return 'none' as const;
  return parentKey ? ctx.sameKey(own, parentKey) : ('different' as const);
}

/** Whether two known regions are the same; undefined when either is not known. */
function sameRegion(a: string | undefined, b: string | undefined): boolean | undefined {
  return a === undefined || b === undefined ? undefined : a === b;
}

export function replicaKeyInherited(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'replica')) {
    const own = writtenKey(node);
    const primaryKey = ctx.keyAfter(parent);
    if (!own || !primaryKey) continue;
    const region = ctx.regionOf(node);
    const conflict = inheritedKeyConflict(node.profile, 'replica', {
      parentEncrypted: true,
      sameRegion: sameRegion(region, ctx.regionOf(parent)),
      own: ownSameness(ctx, own, primaryKey),
    });
    if (conflict !== 'CMEK_REPLICA_KEY_INHERITED' || region === undefined) continue;
    const m = replicaKeyInheritedMessage({
      subject: node.address,
      region,
      own: describeKey(own),
      primaryKey: describeKey(primaryKey),
      attribute: keyAttr(node),
    });
    out.push(diag(conflict, m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

export function replicaKeyRequired(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'replica')) {
    const primaryKey = ctx.keyAfter(parent);
    if (!primaryKey) continue;
    const region = ctx.regionOf(node);
    const primaryRegion = ctx.regionOf(parent);
    const conflict = inheritedKeyConflict(node.profile, 'replica', {
      parentEncrypted: true,
      sameRegion: sameRegion(region, primaryRegion),
      own: writtenKey(node) ? 'unknown' : 'none',
    });
    if (conflict !== 'CMEK_REPLICA_KEY_REQUIRED') continue;
    const m = replicaKeyRequiredMessage({
      subject: node.address,
      parent: parent.address,
      primaryRegion: primaryRegion!,
      region: region!,
      attribute: keyAttr(node),
    });
    out.push(diag(conflict, m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

export function replicaUnencryptedPrimary(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'replica')) {
    const own = writtenKey(node);
    const primaryKey = ctx.keyAfter(parent);
    if (!own || primaryKey !== null) continue;
    const conflict = inheritedKeyConflict(node.profile, 'replica', {
      parentEncrypted: false,
      own: 'different',
    });
    if (conflict !== 'CMEK_REPLICA_UNENCRYPTED_PRIMARY') continue;
    const m = replicaUnencryptedPrimaryMessage({
      subject: node.address,
      own: describeKey(own),
      parent: parent.address,
      attribute: keyAttr(node),
    });
    out.push(diag(conflict, m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

export function cloneKeyInherited(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'clone')) {
    const sourceKey = ctx.keyAfter(parent);
    if (sourceKey === undefined) continue;
    const own = writtenKey(node);
    const conflict = inheritedKeyConflict(node.profile, 'clone', {
      parentEncrypted: sourceKey !== null,
      own: ownSameness(ctx, own, sourceKey),
    });
    if (own && conflict === 'CMEK_CLONE_KEY_INHERITED') {
      const m = cloneKeyMessage({
        subject: node.address,
        own: describeKey(own),
        parent: parent.address,
        sourceKey: sourceKey && describeKey(sourceKey),
        attribute: keyAttr(node),
      });
      out.push(diag(conflict, m.summary, m.detail, where(node, keyAttr(node))));
    }
    // The inherited key is regional, so an encrypted source can only be cloned in its region.
    const region = node.region;
    const sourceRegion = ctx.regionOf(parent);
    const regionConflict = cloneRegionConflict(node.profile, {
      parentEncrypted: sourceKey !== null,
      sameRegion: sameRegion(region, sourceRegion),
    });
    if (regionConflict && sourceKey && region !== undefined && sourceRegion !== undefined) {
      const m = cloneRegionMessage({
        subject: node.address,
        region,
        parent: parent.address,
        sourceKey: describeKey(sourceKey),
        sourceRegion,
      });
      out.push(diag('CMEK_CLONE_KEY_INHERITED', m.summary, m.detail, where(node, 'region')));
    }
  }
  return out;
}

export function restoreKeyInherited(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'restore')) {
    const own = writtenKey(node);
    const backupKey = ctx.keyAfter(parent);
    if (!own || !backupKey) continue;
    const conflict = inheritedKeyConflict(node.profile, 'restore', {
      parentEncrypted: true,
      own: ctx.sameKey(own, backupKey),
    });
    if (conflict !== 'CMEK_RESTORE_KEY_INHERITED') continue;
    const m = restoreKeyInheritedMessage({
      subject: node.address,
      parent: parent.address,
      backupKey: describeKey(backupKey),
      own: describeKey(own),
      profile: node.profile,
      attribute: keyAttr(node),
      region: ctx.regionOf(node),
      keyRegion: keyRegion(backupKey),
    });
    out.push(diag(conflict, m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}
