// Inheritance rules (SPEC 2): same-region replicas, clones and (clickhouse) restores of an
// encrypted backup use the key of what they come from; a cross-region replica of an encrypted
// primary needs its own key in its region; a replica of an unencrypted primary has none.
// Each rule is silent when the parent or its key is not known at plan time.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey, keyRegion } from './keys.js';
import type { KeyView, NodeKind, NodeView, RuleInput } from './model.js';
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

export function replicaKeyInherited(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'replica')) {
    if (!profileFacts(node.profile).sameRegionReplicaInherits) continue;
    const own = writtenKey(node);
    const primaryKey = ctx.keyAfter(parent);
    if (!own || !primaryKey) continue;
    const region = ctx.regionOf(node);
    if (region === undefined || region !== ctx.regionOf(parent)) continue;
    if (ctx.sameKey(own, primaryKey) !== 'different') continue;
    out.push(
      diag(
        'CMEK_REPLICA_KEY_INHERITED',
        `${node.address} is in the primary's region ${region} but names ${describeKey(own)} ` +
          `instead of the primary's key ${describeKey(primaryKey)}`,
        `A replica in the same region as its primary inherits the primary's key; another key ` +
          `cannot be assigned to it.\n` +
          `Remedy: remove ${keyAttr(node)} from ${node.address} (it inherits ` +
          `${describeKey(primaryKey)}), or set it to that same key.`,
        where(node, keyAttr(node)),
      ),
    );
  }
  return out;
}

export function replicaKeyRequired(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'replica')) {
    if (!profileFacts(node.profile).crossRegionReplicaNeedsKey) continue;
    if (writtenKey(node)) continue;
    const primaryKey = ctx.keyAfter(parent);
    if (!primaryKey) continue;
    const region = ctx.regionOf(node);
    const primaryRegion = ctx.regionOf(parent);
    if (region === undefined || primaryRegion === undefined || region === primaryRegion) continue;
    out.push(
      diag(
        'CMEK_REPLICA_KEY_REQUIRED',
        `${node.address} replicates encrypted ${parent.address} from ${primaryRegion} to ` +
          `${region} but names no key in ${region}`,
        `A cross-region replica of an encrypted primary cannot use the primary's key (keys are ` +
          `regional); each region uses its own key.\n` +
          `Remedy: create a key in ${region} (cmek_kms_key with region = "${region}", granted to ` +
          `the service principal) and set ${keyAttr(node)} on ${node.address} to it.`,
        where(node, keyAttr(node)),
      ),
    );
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
    if (!own || ctx.keyAfter(parent) !== null) continue;
    out.push(
      diag(
        'CMEK_REPLICA_UNENCRYPTED_PRIMARY',
        `${node.address} names ${describeKey(own)} but its primary ${parent.address} is not ` +
          `encrypted with a customer-managed key`,
        `A replica follows its primary's encryption: a primary without CMEK cannot have a CMEK ` +
          `replica, and CMEK cannot be added to the existing primary.\n` +
          `Remedy: remove ${keyAttr(node)} from the replica, or create an encrypted copy first ` +
          `(back up ${parent.address}, restore the backup with a kms_key) and replicate that.`,
        where(node, keyAttr(node)),
      ),
    );
  }
  return out;
}

export function cloneKeyInherited(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, parent } of withParent(input, ctx, 'clone')) {
    if (!profileFacts(node.profile).cloneInherits) continue;
    const sourceKey = ctx.keyAfter(parent);
    if (sourceKey === undefined) continue;
    const own = writtenKey(node);
    if (own && (sourceKey === null || ctx.sameKey(own, sourceKey) === 'different')) {
      out.push(
        diag(
          'CMEK_CLONE_KEY_INHERITED',
          sourceKey === null
            ? `${node.address} names ${describeKey(own)} but its source ${parent.address} is ` +
                `not encrypted with a customer-managed key`
            : `${node.address} names ${describeKey(own)} instead of its source's key ` +
                `${describeKey(sourceKey)}`,
          `A clone inherits the encryption of its source; another key cannot be assigned to it.\n` +
            `Remedy: remove ${keyAttr(node)} from the clone` +
            (sourceKey === null
              ? `. To get an encrypted copy, back up ${parent.address} and restore the backup ` +
                `with a kms_key.`
              : ` (it inherits ${describeKey(sourceKey)}). To copy the data under another key, ` +
                `back up the source and restore the backup with that key.`),
          where(node, keyAttr(node)),
        ),
      );
    }
    // The inherited key is regional, so an encrypted source can only be cloned in its region.
    const region = node.region;
    const sourceRegion = ctx.regionOf(parent);
    if (
      sourceKey &&
      region !== undefined &&
      sourceRegion !== undefined &&
      region !== sourceRegion
    ) {
      out.push(
        diag(
          'CMEK_CLONE_KEY_INHERITED',
          `${node.address} is in ${region} but its encrypted source ${parent.address} (key ` +
            `${describeKey(sourceKey)}) is in ${sourceRegion}`,
          `A clone inherits its source's key, and that key exists only in ${sourceRegion}.\n` +
            `Remedy: clone in ${sourceRegion} (remove region or set region = "${sourceRegion}"). ` +
            `For a copy in ${region}, use a cross-region replica with a key in ${region}, or ` +
            `restore a backup there.`,
          where(node, 'region'),
        ),
      );
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
    if (profileFacts(node.profile).restoreEncryptedBackup !== 'inherit') continue;
    const own = writtenKey(node);
    const backupKey = ctx.keyAfter(parent);
    if (!own || !backupKey) continue;
    if (ctx.sameKey(own, backupKey) !== 'different') continue;
    // Into another region, inheriting the backup's (regional) key cannot work either: restore
    // in the key's region, then replicate into the other one with a key of that region.
    const region = ctx.regionOf(node);
    const kr = keyRegion(backupKey);
    const remedy =
      region !== undefined && kr !== undefined && region !== kr
        ? `Remedy: restore in ${kr}, the region of the backup's key (region = "${kr}", without ` +
          `${keyAttr(node)}), then add a cmek_replica of it in ${region} with a kms_key ` +
          `created in ${region}.`
        : `Remedy: remove ${keyAttr(node)} (the restore inherits ${describeKey(backupKey)}), ` +
          `then rotate the restored service to the other key (same KMS provider) if needed.`;
    out.push(
      diag(
        'CMEK_RESTORE_KEY_INHERITED',
        `${node.address} restores ${parent.address}, encrypted with ${describeKey(backupKey)}, ` +
          `but names ${describeKey(own)}`,
        `With the ${node.profile} profile, restoring an encrypted backup creates a service that ` +
          `uses the backup's key; another key is refused.\n${remedy}`,
        where(node, keyAttr(node)),
      ),
    );
  }
  return out;
}
