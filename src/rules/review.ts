// Review findings of `cmek policy check`, beyond the plan-time rules the engine enforces: what a
// reviewer of a database change asks about its keys. Pure functions over the same RuleInput.
// Default severities (docs/policy.md says why):
//   CMEK_KEY_ROTATION_OFF         warning: hygiene; the data stays readable, the risk grows slowly.
//   CMEK_KEY_DELETION_WINDOW      warning: a shorter window is a choice, but a mistaken deletion
//                                 of a key that protects a database is unrecoverable after it.
//   CMEK_ENCRYPTED_REPLACE        error:   destroying and recreating an encrypted database loses
//                                 its data; a deliberate replacement is suppressed explicitly.
//   CMEK_KEY_ALIAS_REF            warning: the plan applies, but never converges (perpetual diff).
//   CMEK_KEY_DESTROYED_WITH_DATA  warning: the database goes too, but its final snapshot and
//                                 backups become unreadable with the key.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey, keyTokens, parseRef } from './keys.js';
import type { KeyNode, NodeView, RuleInput } from './model.js';

/** The shortest waiting period before a key protecting a database may be deleted. */
export const MIN_DELETION_WINDOW_DAYS = 30;

function warning(d: Diagnostic): Diagnostic {
  return { ...d, severity: 'warning' };
}

export function keyRotationOff(
  input: RuleInput,
  _ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const k of input.keys) {
    if (k.action === 'delete' || k.rotation !== false) continue;
    const attr = k.rotationAttribute ?? 'rotation';
    out.push(
      warning(
        diag(
          'CMEK_KEY_ROTATION_OFF',
          `${k.address} does not rotate its key material automatically`,
          `Without automatic rotation the same key material protects every data key for the ` +
            `key's whole life, so a leak of it exposes everything ever encrypted. Rotation keeps ` +
            `old versions for decryption, so turning it on is safe for existing data.\n` +
            `Remedy: ${attr === 'rotation_period' ? 'set rotation_period (for example "7776000s", 90 days)' : `set ${attr} = true`} on ${k.address}.`,
          where(k, attr),
        ),
      ),
    );
  }
  return out;
}

export function keyDeletionWindow(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const k of input.keys) {
    if (k.action === 'delete' || k.deletionWindowDays === undefined) continue;
    if (k.deletionWindowDays >= MIN_DELETION_WINDOW_DAYS) continue;
    const users = ctx.nodesUsing(k.key, 'after');
    if (users.length === 0) continue;
    const attr = k.deletionWindowAttribute ?? 'deletion_window_in_days';
    out.push(
      warning(
        diag(
          'CMEK_KEY_DELETION_WINDOW',
          `${k.address} protects ${users[0]!.address}${users.length > 1 ? ` and ${users.length - 1} more` : ''} ` +
            `but can be deleted ${k.deletionWindowDays} days after deletion is scheduled`,
          `Deleting the key crypto-shreds every database encrypted with it; the waiting period ` +
            `is the only time in which a mistaken deletion can be cancelled.\n` +
            `Remedy: set ${attr} to at least ${MIN_DELETION_WINDOW_DAYS} days` +
            `${attr === 'destroy_scheduled_duration' ? ' ("2592000s")' : ''}, and add ` +
            `lifecycle { prevent_destroy = true } to the key.`,
          where(k, attr),
        ),
      ),
    );
  }
  return out;
}

export function encryptedReplace(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of input.nodes) {
    if (n.action !== 'replace' || n.kind === 'backup') continue;
    const before = ctx.keyBefore(n);
    if (!before) continue;
    out.push(
      diag(
        'CMEK_ENCRYPTED_REPLACE',
        `The plan replaces ${n.address}, encrypted with ${describeKey(before)}: its data is lost`,
        `A replacement destroys the database and creates an empty one; nothing carries the ` +
          `encrypted data over.\n` +
          `Remedy: find the attribute that forces the replacement in the plan (replace_paths) ` +
          `and keep it unchanged, or move the data deliberately (back up, then restore into a ` +
          `new resource). If losing the data is intended, suppress this finding for ` +
          `${n.address} with a reason.`,
        where(n, undefined),
      ),
    );
  }
  return out;
}

function isAliasRef(ref: string | undefined): boolean {
  const p = parseRef(ref);
  return p?.kind === 'alias-arn' || p?.kind === 'alias-name';
}

export function keyAliasRef(
  input: RuleInput,
  _ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of input.nodes) {
    if (!isLive(n) || !n.storesKeyArn || !keyIsWritten(n) || !n.key) continue;
    const alias = n.key.alias ?? (isAliasRef(n.key.ref) ? n.key.ref : undefined);
    if (alias === undefined) continue;
    out.push(
      warning(
        diag(
          'CMEK_KEY_ALIAS_REF',
          `${n.address} names its key through the alias ${alias}`,
          `The provider stores the key's ARN, not the alias, so every plan shows ${keyAttr(n)} ` +
            `changing back to the alias (a perpetual diff), and for a key fixed at creation the ` +
            `change may even plan a replacement.\n` +
            `Remedy: set ${keyAttr(n)} to the key's ARN (aws_kms_key.NAME.arn, or ` +
            `target_key_arn of the alias).`,
          where(n, keyAttr(n)),
        ),
      ),
    );
  }
  return out;
}

export function keyDestroyedWithData(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const doomed = input.keys.filter((k) => k.action === 'delete');
  if (doomed.length === 0) return out;
  const byToken = new Map<string, KeyNode[]>();
  for (const k of doomed) {
    for (const t of keyTokens(k.key)) {
      const list = byToken.get(t);
      if (list) list.push(k);
      else byToken.set(t, [k]);
    }
  }
  const gone = new Map<KeyNode, NodeView[]>();
  for (const n of input.nodes) {
    if (n.action !== 'delete' && n.action !== 'replace') continue;
    const before = ctx.keyBefore(n);
    if (!before) continue;
    const found = new Set<KeyNode>();
    for (const t of keyTokens(before)) for (const k of byToken.get(t) ?? []) found.add(k);
    for (const k of found) {
      if (ctx.sameKey(k.key, before) !== 'same') continue;
      const list = gone.get(k);
      if (list) list.push(n);
      else gone.set(k, [n]);
    }
  }
  for (const [k, nodes] of gone) {
    const names = nodes.map((n) => n.address).join(', ');
    out.push(
      warning(
        diag(
          'CMEK_KEY_DESTROYED_WITH_DATA',
          `The plan destroys ${k.address} together with ${names}, which it encrypts`,
          `Final snapshots, backups and exports of the database stay encrypted with the key; ` +
            `once the key is gone they can never be read.\n` +
            `Remedy: keep the key (remove it in a later change, after the retention of the ` +
            `last backup), or make sure no snapshot of ${names} is meant to be kept.`,
          where(k, undefined),
        ),
      ),
    );
  }
  return out;
}
