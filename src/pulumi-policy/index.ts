// `cmek/pulumi-policy`: the CrossGuard policy pack (docs/pulumi.md). The policies are plain
// objects; `cmekPolicyPack()` serves them as a pack (call it from the pack's index.ts, which
// `pulumi preview --policy-pack DIR` runs).
import { PolicyPack, type PolicyPackArgs } from '@pulumi/policy';
import { cmekPolicies } from './policies.js';

export {
  cmekPolicies,
  cmekResourceReview,
  cmekResourceRules,
  cmekStackReview,
  cmekStackRules,
} from './policies.js';
export {
  judgeResource,
  judgeStack,
  violationMessage,
  type PackFinding,
  type PackResource,
} from './judge.js';
export {
  PACK_ROLES,
  PULUMI_FOREIGN_TYPES,
  PULUMI_TYPES,
  pulumiAttrs,
  terraformType,
} from './types.js';

/** Serve the cmek policies as a policy pack (the pack process's entry point). The version is
 * the pack directory's package.json version, as @pulumi/policy requires. */
export function cmekPolicyPack(
  name = 'cmek',
  args: Omit<PolicyPackArgs, 'policies'> = {},
): PolicyPack {
  return new PolicyPack(name, { ...args, policies: cmekPolicies });
}
