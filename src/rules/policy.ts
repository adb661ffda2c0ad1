// Key-policy rules: the service principal must be granted every action its profile needs
// (CMEK_KEY_POLICY_MISSING_ACTIONS), and no statement may open the key to "*"
// (CMEK_KEY_POLICY_PUBLIC). The policy logic itself — parsing, AWS evaluation semantics, what
// counts as public — lives in src/kms/policy, the same evaluator the local KMS enforces at run
// time, so a policy that passes here also works when the service calls the KMS.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { allowsPublicPrincipal, grantsActions, type GrantContext } from '../model/policy/index.js';
import { buildContext, where, type RuleContext } from './graph.js';
import { parseRef } from './keys.js';
import type { KeyView, PolicyNode, Profile, RuleInput } from './model.js';
import { DEFAULT_PROFILE, isProfile, PROFILES } from './profiles.js';

function policyKey(p: PolicyNode): KeyView {
  const k: KeyView = {};
  if (p.keyAddress !== undefined) k.address = p.keyAddress;
  if (p.keyRef !== undefined) k.ref = p.keyRef;
  return k;
}

/** The profiles whose requirements apply: the policy's own, else those of every live node
 * encrypted with the policy's key, else the default profile. */
export function policyProfiles(p: PolicyNode, input: RuleInput, ctx: RuleContext): Profile[] {
  if (isProfile(p.profile)) return [p.profile];
  const used = usedByProfiles(p, input, ctx);
  return used.length ? used : [DEFAULT_PROFILE];
}

/** Profiles of the live nodes encrypted with the policy's key (empty when none is known). */
function usedByProfiles(p: PolicyNode, input: RuleInput, ctx: RuleContext): Profile[] {
  const key = policyKey(p);
  const found = new Set<Profile>();
  if (key.address !== undefined || key.ref !== undefined) {
    for (const node of ctx.nodesUsing(key, 'after')) {
      if (isProfile(node.profile)) found.add(node.profile);
    }
  }
  return (Object.keys(PROFILES) as Profile[]).filter((x) => found.has(x));
}

/** Union of the required actions, in the profile table's order. */
export function requiredActionsFor(profiles: readonly Profile[]): string[] {
  const out: string[] = [];
  for (const p of profiles)
    for (const a of PROFILES[p].requiredActions) if (!out.includes(a)) out.push(a);
  return out;
}

function grantContext(p: PolicyNode): GrantContext {
  // Evaluate against the key's ARN when we know it, so Resource elements naming another key do
  // not count as a grant; without it every Resource is taken to match.
  const parsed = parseRef(p.keyRef);
  return parsed?.kind === 'key-arn' && p.keyRef !== undefined ? { resource: p.keyRef } : {};
}

export function keyPolicyMissingActions(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of input.policies) {
    if (p.policy === undefined || p.policy === null || p.servicePrincipal === undefined) continue;
    if ((p.implicit || p.judgeWhenUsed) && usedByProfiles(p, input, ctx).length === 0) continue;
    const only = p.judgeGrantFor;
    const profiles = only
      ? usedByProfiles(p, input, ctx).filter((x) => only.includes(x))
      : policyProfiles(p, input, ctx);
    if (profiles.length === 0) continue;
    const required = requiredActionsFor(profiles);
    const r = grantsActions(p.policy, p.servicePrincipal, required, grantContext(p));
    if (r.missing.length === 0) continue;
    const gcpRoles = profiles.map((x) => PROFILES[x].gcpRole).filter((x) => x !== undefined);
    out.push(
      diag(
        'CMEK_KEY_POLICY_MISSING_ACTIONS',
        r.error !== undefined
          ? `The key policy of ${p.address} cannot be read: ${r.error}`
          : p.implicit
            ? `${p.address} has no cmek_kms_key_policy, and its default policy does not grant ` +
              `${p.servicePrincipal} ${r.missing.join(', ')}`
            : `The key policy of ${p.address} does not grant ${p.servicePrincipal} ` +
              `${r.missing.join(', ')}`,
        `The service principal calls the KMS with these actions at run time; without them the ` +
          `key is reported inaccessible and the service cannot be created (profile ` +
          `${profiles.join(', ')} requires ${required.join(', ')}).\n` +
          (p.implicit
            ? `A key without a policy resource has AWS's default policy, which only delegates ` +
              `to the key's own account; a principal of another account gets nothing from it.\n` +
              `Remedy: add resource "cmek_kms_key_policy" with key_id = ${p.address}.id (without ` +
              `a policy document it grants the service principal exactly these actions), or ` +
              `use a service principal of the key's account.`
            : `Remedy: add an Allow statement with "Principal": {"AWS": ` +
              `"${p.servicePrincipal}"} and "Action": ${JSON.stringify(required)} (and ` +
              `"Resource": "*"), and make sure no Deny statement or condition excludes it; or ` +
              `leave out policy so the provider writes that grant itself.`) +
          (gcpRoles.length ? ` For GCP IAM grants, give the service account ${gcpRoles[0]}.` : ''),
        where(p, p.implicit ? undefined : 'policy'),
      ),
    );
  }
  return out;
}

export function keyPolicyPublic(
  input: RuleInput,
  _ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of input.policies) {
    if (p.policy === undefined || p.policy === null || p.implicit) continue;
    const open = allowsPublicPrincipal(p.policy);
    if (open.length === 0) continue;
    const names = open.map((s) => (s.sid !== undefined ? `"${s.sid}"` : `#${s.index + 1}`));
    out.push(
      diag(
        'CMEK_KEY_POLICY_PUBLIC',
        `The key policy of ${p.address} allows any principal ("*") in statement ` +
          `${names.join(', ')}`,
        `A statement with "Principal": "*" (or NotPrincipal) and no condition narrowing the ` +
          `caller lets anyone who can reach the KMS use the key, so whoever can call it can ` +
          `decrypt the data keys of the services it protects.\n` +
          `Remedy: name the principals explicitly (the account root and the service principal), ` +
          `or narrow the statement with a condition such as kms:CallerAccount or kms:ViaService.`,
        where(p, 'policy'),
      ),
    );
  }
  return out;
}
