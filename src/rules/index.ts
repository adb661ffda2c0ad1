// The CMEK rules (docs/rules.md) as pure functions over the normalized RuleInput (model.ts).
// The engine's planner, `cmek policy check`, the Pulumi providers, the CrossGuard pack and the
// cdktf Aspect all call `checkRules`; each rule is also exported on its own. No I/O, no engine
// imports, and a deterministic output order (address, then code, attribute, summary).

import type { Diagnostic } from '../model/diagnostics.js';
import { buildContext, type RuleContext } from './graph.js';
import { keyInUse } from './in-use.js';
import { keyFormat } from './format.js';
import { keyNotEnabled } from './key-state.js';
import {
  cloneKeyInherited,
  replicaKeyInherited,
  replicaKeyRequired,
  replicaUnencryptedPrimary,
  restoreKeyInherited,
} from './inheritance.js';
import { keyImmutable, keyRemoval, noRetrofit, rotationCrossProvider } from './lifecycle.js';
import type { RuleInput } from './model.js';
import { keyPolicyMissingActions, keyPolicyPublic } from './policy.js';
import { regionMismatch } from './region.js';
import {
  encryptedReplace,
  keyAliasRef,
  keyDeletionWindow,
  keyDestroyedWithData,
  keyRotationOff,
} from './review.js';

export type * from './model.js';
export {
  DEFAULT_PROFILE,
  PROFILES,
  REQUIRED_ACTIONS,
  isProfile,
  profileFacts,
} from './profiles.js';
export type { ProfileFacts } from './profiles.js';
export { explainCode, explainText, type CodeExplanation } from './explain.js';
export {
  sameKey,
  sameKeyInPlan,
  keyRegion,
  keyProvider,
  describeKey,
  type Sameness,
} from './keys.js';
export { buildContext, type RuleContext, type EffectiveKey } from './graph.js';
export { cmekRuleInput, attributeAt } from './cmek.js';
// The role table of AWS, Google Cloud and ClickHouse resource types (policy check, cdktf, Pulumi).
export { FOREIGN_ROLES, FOREIGN_FAMILIES } from './foreign.js';
export { MIN_DELETION_WINDOW_DAYS } from './review.js';
// The checks behind the rules as small predicates and message builders, so the control plane
// refuses with the same logic and text (src/service/rule-error.ts).
export { keyRegionMatches, regionMismatchMessage } from './region.js';
export {
  keyChangeRefusal,
  noRetrofitMessage,
  keyRemovalMessage,
  keyImmutableMessage,
  rotationCrossProviderMessage,
} from './lifecycle.js';
export {
  inheritedKeyConflict,
  cloneRegionConflict,
  replicaKeyInheritedMessage,
  replicaKeyRequiredMessage,
  replicaUnencryptedPrimaryMessage,
  cloneKeyMessage,
  cloneRegionMessage,
  restoreKeyInheritedMessage,
  type InheritedKeyCode,
} from './inheritance.js';
export type {
  CmekResourceChange,
  CmekRuleInputOptions,
  AliasRole,
  AssociationRole,
  GrantRole,
  KeyRole,
  NodeRole,
  PolicyRole,
  ResourceRole,
  ResourceRoles,
} from './cmek.js';
export {
  regionMismatch,
  noRetrofit,
  keyRemoval,
  keyImmutable,
  rotationCrossProvider,
  replicaKeyInherited,
  replicaKeyRequired,
  replicaUnencryptedPrimary,
  cloneKeyInherited,
  restoreKeyInherited,
  keyInUse,
  keyPolicyMissingActions,
  keyPolicyPublic,
  keyFormat,
  keyRotationOff,
  keyDeletionWindow,
  encryptedReplace,
  keyAliasRef,
  keyDestroyedWithData,
  keyNotEnabled,
};

export type Rule = (input: RuleInput, ctx?: RuleContext) => Diagnostic[];

/** Every plan-time rule, keyed by the code it reports. */
export const RULES = {
  CMEK_REGION_MISMATCH: regionMismatch,
  CMEK_NO_RETROFIT: noRetrofit,
  CMEK_KEY_REMOVAL: keyRemoval,
  CMEK_KEY_IMMUTABLE: keyImmutable,
  CMEK_ROTATION_CROSS_PROVIDER: rotationCrossProvider,
  CMEK_REPLICA_KEY_INHERITED: replicaKeyInherited,
  CMEK_REPLICA_KEY_REQUIRED: replicaKeyRequired,
  CMEK_REPLICA_UNENCRYPTED_PRIMARY: replicaUnencryptedPrimary,
  CMEK_CLONE_KEY_INHERITED: cloneKeyInherited,
  CMEK_RESTORE_KEY_INHERITED: restoreKeyInherited,
  CMEK_KEY_IN_USE: keyInUse,
  CMEK_KEY_POLICY_MISSING_ACTIONS: keyPolicyMissingActions,
  CMEK_KEY_POLICY_PUBLIC: keyPolicyPublic,
  CMEK_KEY_FORMAT: keyFormat,
  CMEK_KEY_INACCESSIBLE: keyNotEnabled,
} as const satisfies Record<string, Rule>;

/** Deterministic order: address, code, attribute, summary, detail (plain code-unit comparison,
 * not locale-dependent). */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const keys: Array<(d: Diagnostic) => string> = [
    (d) => d.address ?? '',
    (d) => d.code,
    (d) => d.attribute ?? '',
    (d) => d.summary,
    (d) => d.detail,
    (d) => d.file ?? '',
    (d) => String(d.line ?? ''),
  ];
  for (const k of keys) {
    const x = k(a);
    const y = k(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Run every plan-time CMEK rule; diagnostics sorted by address, then code. */
export function checkRules(input: RuleInput): Diagnostic[] {
  const ctx = buildContext(input);
  const out: Diagnostic[] = [];
  for (const rule of Object.values(RULES)) out.push(...rule(input, ctx));
  return out.sort(compareDiagnostics);
}

/** The review findings of `cmek policy check` (src/rules/review.ts), keyed by code. The engine's
 * plan does not run them; policy reporters and the integrations do, after `checkRules`. */
export const REVIEW_RULES = {
  CMEK_KEY_ROTATION_OFF: keyRotationOff,
  CMEK_KEY_DELETION_WINDOW: keyDeletionWindow,
  CMEK_ENCRYPTED_REPLACE: encryptedReplace,
  CMEK_KEY_ALIAS_REF: keyAliasRef,
  CMEK_KEY_DESTROYED_WITH_DATA: keyDestroyedWithData,
} as const satisfies Record<string, Rule>;

/** Every plan-time rule and every review finding over one context, sorted like checkRules. */
export function checkPolicyRules(input: RuleInput): Diagnostic[] {
  const ctx = buildContext(input);
  const out: Diagnostic[] = [];
  for (const rule of [...Object.values(RULES), ...Object.values(REVIEW_RULES)])
    out.push(...rule(input, ctx));
  return out.sort(compareDiagnostics);
}
