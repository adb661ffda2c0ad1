// CMEK_KEY_IN_USE: destroying a key crypto-shreds everything wrapped by it — the services using
// it stop for good and their backups become unrecoverable (a destroyed key version makes the
// data permanently inaccessible). So a plan may not destroy a key that something staying after
// the plan still uses: a service, replica, clone, restore or backup of the plan, judged by the
// key it really uses (the effective key in state, not the one it would inherit now), or one
// that exists only in the control plane (`external`).

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey } from './keys.js';
import type { KeyNode, KeyView, NodeView, RuleInput } from './model.js';

function uses(ctx: RuleContext, k: KeyView, used: KeyView | null | undefined): boolean {
  return !!used && ctx.sameKey(k, used) === 'same';
}

/** Why each staying node still needs the key that `key` destroys. */
function usersOf(key: KeyNode, input: RuleInput, ctx: RuleContext): string[] {
  const users: string[] = [];
  if (key.action === 'delete') {
    // Anything that will use the key after the plan; for a node that stays unchanged or is
    // updated, its after-key is its current one unless the plan moves it off.
    for (const node of ctx.nodesUsing(key.key, 'after')) users.push(label(node));
    // A same-region replica following its primary to another key moves off in this plan, but
    // its re-wrap needs the old key and nothing orders it before the key's deletion: it still
    // counts until that apply is done.
    for (const node of ctx.nodesUsing(key.key, 'before')) {
      if (node.action !== 'update' || keyIsWritten(node)) continue;
      const after = ctx.keyAfter(node);
      if (after && ctx.sameKey(key.key, after) === 'same') continue;
      users.push(
        `${label(node)} (it moves off the key in this apply: remove the key in a later one)`,
      );
    }
  } else {
    // Replacing a key destroys the old key material and creates a new key at the same address.
    // Existing nodes hold data wrapped by the old key; replaced nodes start over.
    for (const node of [
      ...ctx.nodesUsing(key.key, 'before'),
      ...ctx.nodesUsing(key.key, 'after'),
    ]) {
      if (node.action === 'noop' || node.action === 'update') users.push(label(node));
    }
  }
  for (const ext of input.external ?? []) {
    if (uses(ctx, key.key, ext.key)) users.push(ext.description);
  }
  return [...new Set(users)].sort();
}

function label(node: NodeView): string {
  return node.kind === 'backup' ? `${node.address} (backup)` : node.address;
}

export function keyInUse(input: RuleInput, ctx: RuleContext = buildContext(input)): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of input.keys) {
    if (key.action !== 'delete' && key.action !== 'replace') continue;
    const users = usersOf(key, input, ctx);
    if (users.length === 0) continue;
    const verb = key.action === 'delete' ? 'destroys' : 'replaces';
    const list = users.length === 1 ? users[0] : `${users.length} resources: ${users.join(', ')}`;
    out.push(
      diag(
        'CMEK_KEY_IN_USE',
        `The plan ${verb} ${key.address} (${describeKey(key.key)}) but ${list} still ` +
          `${users.length === 1 ? 'uses' : 'use'} it`,
        `Deleting a customer-managed key makes every service, replica, clone and backup ` +
          `encrypted with it unrecoverable (crypto-shredding); the services stop and cannot be ` +
          `started again.\n` +
          `Remedy: keep the key until nothing uses it. Destroy the users (and their backups) in ` +
          `the same plan, or move them to another key first (clickhouse: change kms_key to a key ` +
          `of the same KMS provider; cloudsql: back up and restore into a service with the new ` +
          `key) and remove the key in a later plan. To replace a key, declare the new one as a ` +
          `separate resource rather than changing an attribute that forces replacement. Add ` +
          `lifecycle { prevent_destroy = true } to keys that protect data.`,
        where(key, undefined),
      ),
    );
  }
  return out;
}
