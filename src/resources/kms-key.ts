// cmek_kms_key: a KMS key, like aws_kms_key (plus `key_ring` for a GCP-style key as the cloudsql
// profile uses). Replacement follows the AWS provider: a key cannot move region, become
// multi-region or switch families in place; description, alias and rotation settings update in
// place. Destroy schedules deletion with the configured window, as AWS's provider does, so a
// mistaken destroy can still be cancelled (`cmek kms cancel-deletion`).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { regionProblem } from '../model/regions.js';
import { Unknown, type KeyFacts } from '../model/values.js';
import { isKmsError, type CreateKeyInput, type KeyMetadata, type KmsAdmin } from '../kms/types.js';
import { LOCAL_ACCOUNT } from '../kms/local/constants.js';
import { keyRefPrefix } from './key-prefix.js';
import { bool, clean, isGone, num, str, valuesEqual } from './common.js';
import { defineResource, type AttributeDef, type Shape } from './define.js';
import type { Attrs, ProviderContext } from './types.js';

const ALIAS = /^alias\/[a-zA-Z0-9/_-]+$/;
const RING = /^[a-zA-Z0-9_-]{1,63}$/;
const RING_PATH = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([a-zA-Z0-9_-]{1,63})$/;

const ATTRIBUTES = {
  region: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: z.string().min(1),
    description:
      'Region of the key: an AWS region, or with `key_ring` a GCP location such as `europe-west1` (a name outside the known ones, or of the other family, is `CONFIG_SCHEMA` at plan time). A service can only use a key of its own region.',
  },
  description: { type: 'string', mode: 'optional', description: 'Free text.' },
  alias: {
    type: 'string',
    mode: 'optional',
    validate: z
      .string()
      .regex(ALIAS, 'alias must look like alias/NAME (letters, digits, / _ -)')
      .refine((a) => !a.startsWith('alias/aws/'), 'alias/aws/ is reserved for AWS managed keys'),
    description:
      '`alias/NAME` pointing at the key (not `alias/aws/...`). Changing it moves the alias. With `key_ring` (GCP keys have no aliases) it only supplies the crypto key NAME when `name` is not set.',
  },
  key_ring: {
    type: 'string',
    mode: 'optional',
    forceNew: true,
    validate: z
      .string()
      .refine(
        (r) => RING.test(r) || RING_PATH.test(r),
        'key_ring is a ring name or projects/P/locations/REGION/keyRings/RING',
      ),
    description:
      'Create a GCP-style key in this key ring: a ring id (`sql`) or a ring path `projects/P/locations/REGION/keyRings/RING` (its location must equal `region`).',
  },
  name: {
    type: 'string',
    mode: 'optional_computed',
    forceNew: true,
    validate: z.string().regex(/^[a-zA-Z0-9_-]{1,63}$/),
    description:
      'The crypto key NAME of a `key_ring` key (an extension: `google_kms_crypto_key` has it). Default: the last segment of `alias`, else a generated `key-xxxxxxxx`; the chosen name is kept in state. Ignored without `key_ring`.',
  },
  enable_key_rotation: {
    type: 'bool',
    mode: 'optional',
    default: false,
    description:
      'Rotate the key material automatically (default `false`). Old versions keep decrypting.',
  },
  rotation_period_in_days: {
    type: 'number',
    mode: 'optional',
    validate: z.number().int().min(90).max(2560),
    description: 'Days between automatic rotations, 90–2560; needs `enable_key_rotation = true`.',
  },
  deletion_window_in_days: {
    type: 'number',
    mode: 'optional',
    default: 30,
    validate: z.number().int().min(7).max(30),
    description: '7–30 (default 30): the waiting period of `destroy` (see below).',
  },
  multi_region: {
    type: 'bool',
    mode: 'optional',
    forceNew: true,
    default: false,
    description: 'A multi-region key (`mrk-` id; default `false`). Not with `key_ring`.',
  },
  id: { type: 'string', mode: 'computed', description: 'Same as `key_id`.' },
  arn: {
    type: 'string',
    mode: 'computed',
    description:
      "Key ARN, or the full crypto key name of a GCP-style key. Use this in `kms_key`. Unknown at plan time, but it carries the key's region and KMS family.",
  },
  key_id: {
    type: 'string',
    mode: 'computed',
    description: 'Bare key id (uuid / `mrk-...`), or the full name of a GCP-style key.',
  },
  key_state: {
    type: 'string',
    mode: 'computed',
    description: '`Enabled`, `Disabled`, `PendingDeletion` or `Destroyed`.',
  },
  primary_version: {
    type: 'string',
    mode: 'computed',
    description: 'Version that Encrypt/GenerateDataKey use now (`"1"`, `"2"` after a rotation).',
  },
} as const satisfies Record<string, AttributeDef>;

type KeyAttrs = Shape<typeof ATTRIBUTES>;

/** The ring name of a `key_ring` value (bare or full path). */
export function ringName(keyRing: string): string {
  return RING_PATH.exec(keyRing)?.[3] ?? keyRing;
}

/** Crypto-key NAME of a key_ring key when the configuration decides it: `name`, else the
 * alias's last segment; undefined when neither does. */
export function knownCryptoKeyName(attrs: Attrs | KeyAttrs): string | undefined {
  const explicit = str(attrs.name);
  if (explicit) return explicit;
  const alias = str(attrs.alias);
  const tail = alias?.split('/').pop();
  return tail && /^[a-zA-Z0-9_-]{1,63}$/.test(tail) ? tail : undefined;
}

/** Crypto-key NAME for a key_ring key: `name`, else the alias's last segment, else generated. */
export function cryptoKeyName(attrs: Attrs | KeyAttrs): string {
  return knownCryptoKeyName(attrs) ?? `key-${randomBytes(4).toString('hex')}`;
}

function keyFacts(after: Attrs, address: string): KeyFacts {
  const facts: KeyFacts = { address, provider: after.key_ring ? 'gcp' : 'aws' };
  const region = str(after.region);
  if (region) facts.region = region;
  return facts;
}

function unknownFor(attr: string, after: Attrs): Unknown {
  return attr === 'key_state' || attr === 'primary_version'
    ? new Unknown()
    : new Unknown({
        provider: after.key_ring ? 'gcp' : 'aws',
        ...(str(after.region) ? { region: str(after.region)! } : {}),
      });
}

function computedFrom(meta: KeyMetadata): Attrs {
  return {
    id: meta.keyId,
    arn: meta.arn,
    key_id: meta.keyId,
    key_state: meta.keyState,
    primary_version: meta.primaryVersion ?? null,
  };
}

async function applyRotation(kms: KmsAdmin, keyId: string, attrs: KeyAttrs): Promise<void> {
  if (bool(attrs.enable_key_rotation)) {
    await kms.enableKeyRotation(keyId, num(attrs.rotation_period_in_days));
  } else {
    await kms.disableKeyRotation(keyId);
  }
}

/** The key an alias points at now, or undefined when the alias does not exist. */
async function aliasTarget(kms: KmsAdmin, alias: string): Promise<KeyMetadata | undefined> {
  try {
    return await kms.describeKey(alias);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creating a key is several KMS calls (CreateKey, rotation, CreateAlias, DescribeKey). A key
 * whose later step fails is not recorded in the state, so it would be an orphan that every
 * retry multiplies: it is scheduled for deletion (the shortest window, 7 days) before the
 * failure is reported, and the report says how to keep it. */
async function discardCreated(kms: KmsAdmin, meta: KeyMetadata, cause: unknown): Promise<never> {
  let cleanup: string;
  try {
    await kms.scheduleKeyDeletion(meta.arn, 7);
    cleanup =
      `The key this create had just made (${meta.arn}) is not recorded in the state, so it was ` +
      `scheduled for deletion in 7 days; nothing uses it. To keep it instead, run ` +
      `\`cmek kms cancel-deletion ${meta.keyId}\` (it is left Disabled).`;
  } catch (e) {
    cleanup =
      `The key this create had just made (${meta.arn}) is not recorded in the state and could ` +
      `not be scheduled for deletion (${message(e)}): schedule its deletion yourself ` +
      `(\`aws kms schedule-key-deletion --key-id ${meta.keyId}\` against this KMS) so it does ` +
      `not linger.`;
  }
  const then = 'Fix the cause above and apply again: the retry creates a new key.';
  if (cause instanceof DiagnosticError) {
    throw new DiagnosticError(
      cause.diagnostics.map((d) => ({ ...d, detail: `${d.detail}\n${cleanup}\n${then}` })),
    );
  }
  throw new DiagnosticError(
    diag(
      isKmsError(cause) ? 'KMS_ERROR' : 'APPLY_FAILED',
      `Creating the key failed after the KMS created it: ${message(cause)}`,
      `${cleanup}\n${then}`,
    ),
  );
}

async function create(planned: KeyAttrs, ctx: ProviderContext): Promise<Attrs> {
  const kms = ctx.kms;
  const keyRing = str(planned.key_ring);
  const region = str(planned.region)!;
  const name = keyRing ? cryptoKeyName(planned) : undefined;
  const input: CreateKeyInput = { region, multiRegion: bool(planned.multi_region) };
  const description = str(planned.description);
  if (description !== undefined) input.description = description;
  if (keyRing) {
    input.keyRing = ringName(keyRing);
    input.name = name!;
  }
  // GCP-style keys have no aliases: for them `alias` only names the crypto key (see cryptoKeyName).
  const alias = keyRing ? undefined : str(planned.alias);
  // An alias that already exists would fail CreateAlias after CreateKey: refuse before any key
  // is made, naming the key the alias points at.
  const taken = alias ? await aliasTarget(kms, alias) : undefined;
  if (alias && taken) {
    throw new DiagnosticError(
      diag(
        'APPLY_FAILED',
        `${alias} already exists: it points at key ${taken.arn} (${taken.keyState})`,
        `No key was created. That key is not recorded in this state: either it belongs to ` +
          `another configuration, or this state lost it (a state file moved away or deleted).\n` +
          `Remedy: pick another alias for this key; or, if ${taken.keyId} is the key this ` +
          `resource should manage, record it instead of creating a new one: ` +
          `\`cmek import <this address> ${taken.keyId}\` (if another configuration manages it, ` +
          `\`cmek state rm\` it there first). \`cmek kms describe ${alias}\` shows the key.`,
        { attribute: 'alias' },
      ),
    );
  }
  const meta = await kms.createKey(input);
  let fresh: KeyMetadata;
  try {
    if (bool(planned.enable_key_rotation)) await applyRotation(kms, meta.keyId, planned);
    if (alias) await kms.createAlias(alias, meta.keyId);
    fresh = await kms.describeKey(meta.arn);
  } catch (e) {
    return discardCreated(kms, meta, e);
  }
  return clean({
    ...planned,
    ...(name ? { name } : {}),
    ...computedFrom(fresh),
  });
}

async function read(prior: KeyAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const keyId = str(prior.arn) ?? str(prior.key_id);
  if (!keyId) return null;
  let meta: KeyMetadata;
  try {
    meta = await ctx.kms.describeKey(keyId);
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
  // Like the AWS provider: a key pending deletion (or destroyed) is gone as far as the
  // configuration is concerned; the next plan re-creates it.
  if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return null;
  const rotation = await ctx.kms.getKeyRotationStatus(meta.arn);
  const priorAlias = str(prior.alias);
  let alias: string | null = priorAlias ?? null;
  if (meta.provider === 'aws') {
    // By ARN: the call goes to the key's region, whatever the client's default region is.
    const names = (await ctx.kms.listAliases(meta.arn)).map((a) => a.aliasName);
    alias = priorAlias && names.includes(priorAlias) ? priorAlias : (names[0] ?? null);
  }
  return clean({
    ...prior,
    description: meta.description || (prior.description === undefined ? undefined : null),
    alias: alias ?? (prior.alias === undefined ? undefined : null),
    enable_key_rotation: rotation.enabled,
    rotation_period_in_days:
      prior.rotation_period_in_days !== undefined && prior.rotation_period_in_days !== null
        ? (rotation.rotationPeriodInDays ?? prior.rotation_period_in_days)
        : prior.rotation_period_in_days,
    multi_region: meta.multiRegion,
    region: meta.region,
    ...computedFrom(meta),
  });
}

async function update(prior: KeyAttrs, planned: KeyAttrs, ctx: ProviderContext): Promise<Attrs> {
  const kms = ctx.kms;
  const keyId = str(prior.arn) ?? str(prior.key_id)!;
  if (!valuesEqual(prior.description, planned.description)) {
    await kms.updateKeyDescription(keyId, str(planned.description) ?? '');
  }
  if (
    !valuesEqual(prior.enable_key_rotation ?? false, planned.enable_key_rotation ?? false) ||
    !valuesEqual(prior.rotation_period_in_days, planned.rotation_period_in_days)
  ) {
    await applyRotation(kms, keyId, planned);
  }
  const oldAlias = str(prior.alias);
  const newAlias = str(planned.alias);
  if (oldAlias !== newAlias && !prior.key_ring) {
    if (oldAlias) {
      try {
        await kms.deleteAlias(oldAlias);
      } catch (e) {
        if (!isGone(e)) throw e;
      }
    }
    if (newAlias) await kms.createAlias(newAlias, str(prior.key_id) ?? keyId);
  }
  const meta = await kms.describeKey(keyId);
  return clean({ ...planned, name: prior.name ?? planned.name, ...computedFrom(meta) });
}

async function destroy(prior: KeyAttrs, ctx: ProviderContext): Promise<void> {
  const kms = ctx.kms;
  const keyId = str(prior.arn) ?? str(prior.key_id);
  if (!keyId) return;
  const alias = str(prior.alias);
  if (alias && !prior.key_ring) {
    try {
      await kms.deleteAlias(alias);
    } catch (e) {
      if (!isGone(e)) throw e;
    }
  }
  let meta: KeyMetadata;
  try {
    meta = await kms.describeKey(keyId);
  } catch (e) {
    if (isGone(e)) return;
    throw e;
  }
  if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return;
  await kms.scheduleKeyDeletion(meta.arn, num(prior.deletion_window_in_days) ?? 30);
}

/** Crash recovery: find the key an interrupted create made, by the only names it can be found
 * by — its alias (AWS keys), or its full crypto key name (key_ring keys with `name` or an alias
 * tail). A key created without either cannot be told apart from others: null (the engine warns
 * that an orphan may exist). */
async function adopt(planned: KeyAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const keyRing = str(planned.key_ring);
  const region = str(planned.region);
  let ref: string | undefined;
  if (keyRing && region) {
    const name = str(planned.name) ?? str(planned.alias)?.split('/').pop();
    if (name) {
      const ringPath = RING_PATH.test(keyRing)
        ? keyRing
        : `projects/local/locations/${region}/keyRings/${keyRing}`;
      ref = `${ringPath}/cryptoKeys/${name}`;
    }
  } else {
    ref = str(planned.alias);
  }
  if (!ref) return null;
  let meta: KeyMetadata;
  try {
    meta = await ctx.kms.describeKey(ref);
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
  if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return null;
  const base: KeyAttrs = { ...planned, ...computedFrom(meta) };
  if (keyRing) base.name = meta.arn.split('/').pop()!;
  return read(base, ctx);
}

/** Import: the key named by a key id, ARN, alias or (GCP-style) full crypto key name. What
 * the KMS does not keep is recorded as the configuration's defaults would be: a 30-day
 * deletion window, a rotation period only when it is not the KMS default of 365 days, and for a
 * GCP-style key the bare ring name as `key_ring`. */
async function importState(id: string, ctx: ProviderContext): Promise<Attrs | null> {
  let meta: KeyMetadata;
  try {
    meta = await ctx.kms.describeKey(id);
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
  const seed: KeyAttrs = {
    region: meta.region,
    deletion_window_in_days: 30,
    ...computedFrom(meta),
  };
  const gcp = /\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)$/.exec(meta.arn);
  if (meta.provider === 'gcp' && gcp) {
    seed.key_ring = gcp[1]!;
    seed.name = gcp[2]!;
  }
  if (ALIAS.test(id)) seed.alias = id;
  const rotation = await ctx.kms.getKeyRotationStatus(meta.arn);
  if (rotation.enabled && rotation.rotationPeriodInDays && rotation.rotationPeriodInDays !== 365)
    seed.rotation_period_in_days = rotation.rotationPeriodInDays;
  return seed;
}

/** What a key about to be created will be called, as far as it is known at plan time (the
 * Terraform provider plans `arn` with it). With the local KMS (`local`): an AWS key's ARN
 * prefix `arn:aws:kms:REGION:000000000000:key/`, and a key_ring key's whole crypto key name
 * when its NAME is known (`name`, or the alias's last segment), else its ring's prefix. With
 * AWS: `arn:PARTITION:kms:REGION:` (the account is the caller's, not looked up). Undefined when
 * nothing is known (no region yet). `name` is the NAME a key_ring key will get, when known
 * (null: an AWS key, which has none). */
export function plannedKeyRef(
  after: Attrs,
  local: boolean,
): { whole?: string; prefix?: string; name?: string | null } | undefined {
  const region = str(after.region);
  if (!region) return undefined;
  const keyRing = str(after.key_ring);
  if (!keyRing) {
    // An AWS key has no crypto key NAME: `name` stays null.
    return {
      name: null,
      prefix: keyRefPrefix(
        local ? { region, account: LOCAL_ACCOUNT, partition: 'aws' } : { region },
      ),
    };
  }
  if (!local) return undefined;
  const ringPath = `projects/local/locations/${region}/keyRings/${ringName(keyRing)}`;
  const name = knownCryptoKeyName(after);
  return name
    ? { whole: `${ringPath}/cryptoKeys/${name}`, name }
    : { prefix: keyRefPrefix({ region, ringPath }) };
}

export const kmsKey = defineResource({
  type: 'cmek_kms_key',
  description:
    "A KMS key: the key-encryption key (KEK) that protects a service's data keys, AWS-style or (with `key_ring`) GCP-style.",
  attributes: ATTRIBUTES,
  role: {
    kind: 'key',
    refAttribute: 'arn',
    idAttributes: ['id', 'key_id', 'alias'],
    regionAttribute: 'region',
    provider: 'aws',
    gcpWhenSet: 'key_ring',
  },
  validate(v, ctx) {
    if (v.rotation_period_in_days !== undefined && v.enable_key_rotation !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotation_period_in_days'],
        message: 'rotation_period_in_days needs enable_key_rotation = true',
      });
    }
    if (v.key_ring !== undefined && v.multi_region === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['multi_region'],
        message:
          'multi_region keys are AWS keys; a key_ring (GCP-style) key cannot be multi-region',
      });
    }
    // A key_ring key lives in a GCP location, any other key in an AWS region.
    const regionIssue = regionProblem(v.region, v.key_ring !== undefined ? 'gcp' : 'aws');
    if (regionIssue) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message:
          v.key_ring !== undefined
            ? `${regionIssue} A key_ring (GCP-style) key's region is a GCP location.`
            : `${regionIssue} Without key_ring the key is an AWS key; for a GCP-style key set key_ring.`,
      });
    }
    const m = v.key_ring ? RING_PATH.exec(v.key_ring) : null;
    if (m && m[2] !== v.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_ring'],
        message: `key_ring is in location ${m[2]} but region is ${v.region}`,
      });
    }
  },
  unknownFor,
  create,
  read,
  update,
  delete: destroy,
  keyFacts,
  adopt,
  importState,
});
