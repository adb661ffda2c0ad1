// Rules on how the key of an existing service may change (docs/rules.md, rows "CMEK only at creation,
// cannot be removed" and "change the key of a live service"). They compare the key a node used
// before the plan with the one it uses after.
//
// They run for `update` and for `replace`: a replacement that adds, drops or swaps the key of a
// live service destroys its data, which is exactly what the seeds' remedies (backup + restore,
// key version + re-encrypt, same-provider rotation) exist to avoid (terraform's google provider,
// for one, plans an `encryption_key_name` change as a replacement). A replacement that moves the
// service to another region is a new service, and needs a key of that region anyway, so it is
// left alone. A user who really wants to throw the data away can destroy the service first.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { KeyProvider } from '../model/kms.js';
import {
  buildContext,
  keyAttr,
  keyIsWritten,
  where,
  type EffectiveKey,
  type RuleContext,
} from './graph.js';
import { describeKey, keyProvider } from './keys.js';
import type { KeyView, NodeView, RuleInput, RuleMessage } from './model.js';
import { profileFacts } from './profiles.js';

const PROVIDER_NAME: Record<KeyProvider, string> = { aws: 'AWS KMS', gcp: 'GCP Cloud KMS' };

interface Transition {
  node: NodeView;
  before: EffectiveKey;
  after: EffectiveKey;
}

function transitions(input: RuleInput, ctx: RuleContext): Transition[] {
  const out: Transition[] = [];
  for (const node of input.nodes) {
    if (node.action !== 'update' && node.action !== 'replace') continue;
    if (node.kind === 'backup') continue; // backups are immutable: any change replaces them
    if (
      node.action === 'replace' &&
      node.priorRegion !== undefined &&
      node.region !== undefined &&
      node.priorRegion !== node.region
    )
      continue;
    out.push({ node, before: ctx.keyBefore(node), after: ctx.keyAfter(node) });
  }
  return out;
}

/** Services and restores (a restore is a service) own their key. Replicas and clones inherit
 * theirs, and their post-plan state is judged by the replica/clone rules instead. */
function ownsKey(node: NodeView): boolean {
  return node.kind === 'service' || node.kind === 'restore';
}

/** Whether `profile` lets the key of a service go from `before` to `after` (null: no
 * customer-managed key; undefined: not known yet, never refused): the code of the refusal, or
 * undefined. Adding a key to an existing service is CMEK_NO_RETROFIT, removing it
 * CMEK_KEY_REMOVAL. A change between two keys is judged by the key-change rules below, which
 * need to know whether they are the same key. */
export function keyChangeRefusal<K>(
  profile: unknown,
  before: K | null | undefined,
  after: K | null | undefined,
): 'CMEK_NO_RETROFIT' | 'CMEK_KEY_REMOVAL' | undefined {
  if (before === undefined || after === undefined) return undefined;
  const facts = profileFacts(profile);
  if (before === null && after !== null && !facts.retrofitAllowed) return 'CMEK_NO_RETROFIT';
  if (before !== null && after === null && !facts.removalAllowed) return 'CMEK_KEY_REMOVAL';
  return undefined;
}

/** CMEK_NO_RETROFIT: `subject` (an address, or `service NAME`) has no key; `key` is added. */
export function noRetrofitMessage(f: { subject: string; key: string }): RuleMessage {
  return {
    summary: `${f.subject} has no customer-managed key; the change adds ${f.key}`,
    detail:
      `CMEK can only be chosen when a service is created; it cannot be enabled on an existing ` +
      `service (ClickHouse Cloud and Cloud SQL both refuse it).\n` +
      `Remedy: take a backup of the service (cmek_backup) and restore it into a new service ` +
      `that names the key (cmek_backup_restore with kms_key); restoring an unencrypted backup ` +
      `with a key is the supported way to put existing data under CMEK. Then move clients ` +
      `and remove the old service.`,
  };
}

/** CMEK_KEY_REMOVAL: `subject` is encrypted with `key`, set by `attribute`; the change drops it. */
export function keyRemovalMessage(f: {
  subject: string;
  key: string;
  attribute: string;
}): RuleMessage {
  return {
    summary: `${f.subject} is encrypted with ${f.key}; the change removes the key`,
    detail:
      `The customer-managed key of an encrypted service cannot be removed: its data keys are ` +
      `wrapped by that key.\n` +
      `Remedy: keep ${f.attribute} set. To move to another key, rotate it ` +
      `(clickhouse: set a key of the same KMS provider; cloudsql: create a new key version ` +
      `and bump reencrypt). To get the data without CMEK, create a new service without ` +
      `${f.attribute} and copy the objects over (\`cmek data get\` then \`cmek data put\`): ` +
      `a backup of an encrypted service, and any restore of it, keeps the key.`,
  };
}

export function noRetrofit(input: RuleInput, ctx: RuleContext = buildContext(input)): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, before, after } of transitions(input, ctx)) {
    if (!ownsKey(node) || !after) continue;
    if (keyChangeRefusal(node.profile, before, after) !== 'CMEK_NO_RETROFIT') continue;
    const m = noRetrofitMessage({ subject: node.address, key: describeKey(after) });
    out.push(diag('CMEK_NO_RETROFIT', m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

export function keyRemoval(input: RuleInput, ctx: RuleContext = buildContext(input)): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, before, after } of transitions(input, ctx)) {
    if (!ownsKey(node) || !before) continue;
    if (keyChangeRefusal(node.profile, before, after) !== 'CMEK_KEY_REMOVAL') continue;
    const m = keyRemovalMessage({
      subject: node.address,
      key: describeKey(before),
      attribute: keyAttr(node),
    });
    out.push(diag('CMEK_KEY_REMOVAL', m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

/** The changed-key transitions: both keys known to exist and known to differ. */
function keyChanges(
  input: RuleInput,
  ctx: RuleContext,
): Array<{ node: NodeView; before: KeyView; after: KeyView }> {
  const out: Array<{ node: NodeView; before: KeyView; after: KeyView }> = [];
  for (const { node, before, after } of transitions(input, ctx)) {
    if (!before || !after) continue;
    // For a replica or clone only a key it writes itself is its own change; an inherited one
    // changes with its parent and is reported there.
    if (!ownsKey(node) && !(keyIsWritten(node) && node.priorKey)) continue;
    if (ctx.sameKey(before, after) !== 'different') continue;
    out.push({ node, before, after });
  }
  return out;
}

/** CMEK_KEY_IMMUTABLE: `subject` (cloudsql) changes its key from `before` to `after`. */
export function keyImmutableMessage(f: {
  subject: string;
  profile: string;
  before: string;
  after: string;
  attribute: string;
}): RuleMessage {
  return {
    summary: `${f.subject} (profile ${f.profile}) cannot change its key from ${f.before} to ${f.after}`,
    detail:
      `With the cloudsql profile the key of a live instance is immutable.\n` +
      `Remedy: keep ${f.attribute} and rotate the key itself: create a new primary key ` +
      `version (cmek_kms_key with enable_key_rotation, or \`cmek kms rotate\`), then change ` +
      `the service's \`reencrypt\` trigger so its data keys are re-encrypted with the new ` +
      `version. To use a different key, back up and restore into a new service with that key.`,
  };
}

export function keyImmutable(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, before, after } of keyChanges(input, ctx)) {
    if (profileFacts(node.profile).liveKeyChange !== 'immutable') continue;
    const m = keyImmutableMessage({
      subject: node.address,
      profile: node.profile,
      before: describeKey(before),
      after: describeKey(after),
      attribute: keyAttr(node),
    });
    out.push(diag('CMEK_KEY_IMMUTABLE', m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}

/** CMEK_ROTATION_CROSS_PROVIDER: `subject` rotates from a key of one KMS provider to another's. */
export function rotationCrossProviderMessage(f: {
  subject: string;
  from: KeyProvider;
  to: KeyProvider;
  before: string;
  after: string;
}): RuleMessage {
  return {
    summary:
      `${f.subject} cannot rotate from ${PROVIDER_NAME[f.from]} key ${f.before} to ` +
      `${PROVIDER_NAME[f.to]} key ${f.after}`,
    detail:
      `Key rotation of a live service is supported only within one KMS provider: the data ` +
      `keys are re-wrapped by the new key while the old one is still readable.\n` +
      `Remedy: rotate to another ${PROVIDER_NAME[f.from]} key (both keys must stay accessible ` +
      `during the rotation), or back up the service and restore it into a new service that ` +
      `uses the ${PROVIDER_NAME[f.to]} key.`,
  };
}

export function rotationCrossProvider(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { node, before, after } of keyChanges(input, ctx)) {
    if (profileFacts(node.profile).liveKeyChange !== 'rotate-same-provider') continue;
    const pb = keyProvider(before);
    const pa = keyProvider(after);
    if (pb === undefined || pa === undefined || pb === pa) continue;
    const m = rotationCrossProviderMessage({
      subject: node.address,
      from: pb,
      to: pa,
      before: describeKey(before),
      after: describeKey(after),
    });
    out.push(diag('CMEK_ROTATION_CROSS_PROVIDER', m.summary, m.detail, where(node, keyAttr(node))));
  }
  return out;
}
