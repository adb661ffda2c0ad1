// cmek_kms_key_policy: the key policy of a cmek_kms_key (like aws_kms_key_policy). Without a
// `policy` document it generates the one a CMEK service needs: AWS's default statement (the
// account root, which delegates to IAM) plus a statement granting the service principal the
// profile's required actions. Whether a user-written `policy` grants enough is a plan-time rule
// (src/rules, CMEK_KEY_POLICY_MISSING_ACTIONS); this resource only applies it. Destroy restores
// the default policy, since a key always has a policy.
import { z } from 'zod';
import { REQUIRED_ACTIONS } from '../rules/profiles.js';
import { Unknown, isUnknown } from '../model/values.js';
import { LOCAL_ACCOUNT } from '../kms/local/constants.js';
import { isKmsError } from '../kms/types.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { bool, clean, isGone, str } from './common.js';
import { defineResource, type AttributeDef, type Shape } from './define.js';
import type { Attrs, PlanInput, PlannedResource, ProviderContext } from './types.js';

const ATTRIBUTES = {
  key_id: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: z.string().min(1),
    description: 'The key: ARN, key id or alias (usually `cmek_kms_key.NAME.arn`).',
  },
  service_principal: {
    type: 'string',
    mode: 'optional_computed',
    validate: z.string().min(1),
    description:
      'Principal to grant. Default: `provider "cmek" { service_principal }`, whose own default is `arn:aws:iam::000000000000:role/cmek-service`. The value used is kept in state.',
  },
  policy: {
    type: 'string',
    mode: 'optional',
    validate: z.string().refine((p) => {
      try {
        const doc: unknown = JSON.parse(p);
        return typeof doc === 'object' && doc !== null && !Array.isArray(doc);
      } catch {
        return false;
      }
    }, 'policy must be a JSON object (use jsonencode({...}))'),
    description:
      'The whole policy document as JSON (`jsonencode({...})`). Absent: the generated policy below.',
  },
  bypass_policy_lockout_safety_check: {
    type: 'bool',
    mode: 'optional',
    description: 'Passed to PutKeyPolicy: allow a policy that would lock the caller out.',
  },
  id: { type: 'string', mode: 'computed', description: 'The key id.' },
  policy_json: {
    type: 'string',
    mode: 'computed',
    description:
      'The policy document applied: `policy` as written, or the generated one. Known at plan time when the key ARN is (so policy checks see it); otherwise after apply.',
  },
} as const satisfies Record<string, AttributeDef>;

type PolicyAttrs = Shape<typeof ATTRIBUTES>;

/** `arn:aws:kms:REGION:ACCOUNT:key/ID` → ACCOUNT (undefined for bare ids, aliases, GCP). */
export function accountOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

function rootStatement(account: string): Record<string, unknown> {
  return {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${account}:root` },
    Action: 'kms:*',
    Resource: '*',
  };
}

/** AWS's default key policy: only the account-root statement. */
export function defaultKeyPolicy(account: string): string {
  return JSON.stringify(
    { Version: '2012-10-17', Id: 'key-default-1', Statement: [rootStatement(account)] },
    null,
    2,
  );
}

/** The policy generated when `policy` is omitted: default + the service principal's grant. */
export function generatedKeyPolicy(account: string, servicePrincipal: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'cmek-service-key-policy',
      Statement: [
        rootStatement(account),
        {
          Sid: 'Allow CMEK service principal',
          Effect: 'Allow',
          Principal: { AWS: servicePrincipal },
          Action: [...REQUIRED_ACTIONS.clickhouse],
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}

/** Canonical form for comparing policies: key order and whitespace do not matter. */
export function canonicalJson(text: string): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  try {
    return JSON.stringify(sort(JSON.parse(text)));
  } catch {
    return text;
  }
}

function plan({ prior }: PlanInput, generic: () => PlannedResource): PlannedResource {
  const planned = generic();
  const after = planned.after;
  // Absent service_principal = the provider block's, which plan() cannot see: resolved at create.
  if (after.service_principal === undefined || after.service_principal === null) {
    after.service_principal = new Unknown();
  }
  // policy_json is known at plan time whenever its inputs are, so policy checks and
  // `plan -json` see the document that will be applied.
  const policy = after.policy;
  const keyId = str(after.key_id);
  const sp = str(after.service_principal);
  if (typeof policy === 'string') {
    after.policy_json = policy;
  } else if (isUnknown(policy)) {
    after.policy_json = new Unknown();
  } else if (keyId && sp && accountOfArn(keyId)) {
    after.policy_json = generatedKeyPolicy(accountOfArn(keyId)!, sp);
  } else if (
    prior &&
    !planned.requiresReplace.length &&
    sp === str(prior.service_principal) &&
    isGeneratedPolicy(str(prior.policy_json), sp)
  ) {
    // A bare key id hides the account, but the (refreshed) policy is still the one generated
    // for its own account root: nothing to change. Anything else (a policy opened to "*"
    // outside cmek) is drift of a security control: planned as an update (known after apply).
    after.policy_json = prior.policy_json!;
  } else {
    after.policy_json = new Unknown();
  }
  if (keyId && !planned.requiresReplace.length && prior?.id) after.id = prior.id;
  return planned;
}

/** Whether `policy` is the one generated for `servicePrincipal` and the account of its root. */
function isGeneratedPolicy(policy: string | undefined, servicePrincipal: string | undefined) {
  if (!policy || !servicePrincipal) return false;
  const accounts = new Set(
    [...policy.matchAll(/arn:aws[a-z-]*:iam::(\d{12}):root/g)].map((m) => m[1]!),
  );
  const canonical = canonicalJson(policy);
  return [...accounts].some(
    (a) => canonicalJson(generatedKeyPolicy(a, servicePrincipal)) === canonical,
  );
}

async function documentFor(planned: PolicyAttrs, ctx: ProviderContext) {
  const keyId = str(planned.key_id)!;
  const meta = await ctx.kms.describeKey(keyId);
  const servicePrincipal = str(planned.service_principal) ?? ctx.settings.servicePrincipal;
  // A GCP-style key has no AWS account (the local KMS says `local`): its policy stands in for
  // the IAM bindings of Cloud KMS, and the operator applying it is the local KMS's account
  // root, so the generated policy's root statement names that account. Naming `local` would
  // lock the operator out of the key.
  const account = meta.provider === 'gcp' ? LOCAL_ACCOUNT : meta.account;
  const policy = str(planned.policy) ?? generatedKeyPolicy(account, servicePrincipal);
  return { meta, servicePrincipal, policy };
}

async function put(planned: PolicyAttrs, ctx: ProviderContext): Promise<Attrs> {
  const { meta, servicePrincipal, policy } = await documentFor(planned, ctx);
  const bypass = bool(planned.bypass_policy_lockout_safety_check);
  try {
    await ctx.kms.putKeyPolicy(meta.arn, policy, bypass);
  } catch (e) {
    // The KMS names its API flag; the user writes our attribute.
    if (
      !bypass &&
      isKmsError(e, 'MalformedPolicyDocumentException') &&
      /PutKeyPolicy/.test(e.message)
    ) {
      throw new DiagnosticError(
        diag(
          'KMS_ERROR',
          `The key policy would lock the operator out of key ${meta.keyId}`,
          `${e.message}\nAfter this policy, the principal applying it could no longer change ` +
            `the key's policy.\nRemedy: add a statement granting kms:PutKeyPolicy (the ` +
            `generated policy's account-root statement does) to that principal, or, if locking ` +
            `it out is intended, set bypass_policy_lockout_safety_check = true on this ` +
            `cmek_kms_key_policy.`,
          { attribute: 'policy' },
        ),
      );
    }
    throw e;
  }
  return clean({
    ...planned,
    service_principal: servicePrincipal,
    id: meta.keyId,
    policy_json: policy,
  });
}

async function read(prior: PolicyAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const keyId = str(prior.key_id);
  if (!keyId) return null;
  let current: string;
  try {
    const meta = await ctx.kms.describeKey(keyId);
    if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return null;
    current = await ctx.kms.getKeyPolicy(meta.arn);
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
  // Keep the stored text when it means the same (KMS may reformat); report real drift.
  const priorJson = str(prior.policy_json);
  if (priorJson && canonicalJson(priorJson) === canonicalJson(current)) return prior;
  const out: Attrs = { ...prior, policy_json: current };
  if (typeof prior.policy === 'string') out.policy = current;
  return out;
}

async function destroy(prior: PolicyAttrs, ctx: ProviderContext): Promise<void> {
  const keyId = str(prior.key_id);
  if (!keyId) return;
  try {
    const meta = await ctx.kms.describeKey(keyId);
    // A key on its way out keeps whatever policy it has: nothing will use it again.
    if (meta.keyState === 'Destroyed' || meta.keyState === 'PendingDeletion') return;
    await ctx.kms.putKeyPolicy(meta.arn, defaultKeyPolicy(meta.account));
  } catch (e) {
    if (isGone(e) || isKmsError(e, 'KMSInvalidStateException')) return;
    throw e;
  }
}

/** Crash recovery: a key policy always exists, so adopting means reading the key's current
 * policy; the next plan re-applies the configured one if the interrupted put never happened. */
async function adopt(planned: PolicyAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const keyId = str(planned.key_id);
  if (!keyId) return null;
  try {
    const meta = await ctx.kms.describeKey(keyId);
    if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return null;
    const current = await ctx.kms.getKeyPolicy(meta.arn);
    return clean({
      ...planned,
      service_principal: str(planned.service_principal) ?? ctx.settings.servicePrincipal,
      id: meta.keyId,
      policy_json: current,
    });
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

/** Import by the key's id, ARN or alias, recorded as `key_id` as given (import with the form
 * the block's `key_id` yields: `.key_id` a key id, `.arn` an ARN); the principal is the
 * provider's. A policy other than the one generated for it is recorded as a written `policy`. */
async function importState(id: string, ctx: ProviderContext): Promise<Attrs | null> {
  try {
    const meta = await ctx.kms.describeKey(id);
    if (meta.keyState === 'PendingDeletion' || meta.keyState === 'Destroyed') return null;
    const current = await ctx.kms.getKeyPolicy(meta.arn);
    const servicePrincipal = ctx.settings.servicePrincipal;
    return clean({
      key_id: id,
      service_principal: servicePrincipal,
      policy: isGeneratedPolicy(current, servicePrincipal) ? undefined : current,
      id: meta.keyId,
    });
  } catch (e) {
    if (isGone(e)) return null;
    throw e;
  }
}

export const kmsKeyPolicy = defineResource({
  type: 'cmek_kms_key_policy',
  description:
    'The key policy of a KMS key (like `aws_kms_key_policy`): written, or generated to grant the service principal what a CMEK service needs.',
  attributes: ATTRIBUTES,
  role: {
    kind: 'policy',
    keyAttribute: 'key_id',
    principalAttribute: 'service_principal',
    policyAttribute: 'policy',
  },
  plan,
  create: put,
  read,
  update: (_prior, planned, ctx) => put(planned, ctx),
  delete: destroy,
  adopt,
  importState,
});
