// Authorization of the local KMS: a caller (principal, and the service it calls through) against
// a key's policy, account-level actions, and the checks a new key policy must pass. Pure.
import {
  accountOf,
  evaluatePolicy,
  parsePolicy,
  unsupportedOperators,
} from '../../model/policy/index.js';
import type { EncryptionContext } from '../types.js';
import { KmsError } from '../types.js';
import { LOCAL_ACCOUNT } from './constants.js';
import type { StoredKey } from './store.js';

/** Who makes a call. */
export interface Caller {
  principal: string;
  viaService?: string;
}

const policyCache = new Map<string, ReturnType<typeof parsePolicy>>();

export function parsedPolicy(text: string) {
  let r = policyCache.get(text);
  if (!r) {
    r = parsePolicy(text);
    if (policyCache.size > 500) policyCache.clear();
    policyCache.set(text, r);
  }
  return r.ok ? r.policy : undefined;
}

export function authorize(
  caller: Caller,
  key: StoredKey,
  action: string,
  ctx?: EncryptionContext,
): void {
  const policy = parsedPolicy(key.policy);
  const req = {
    principal: caller.principal,
    action,
    resource: key.arn,
    ...(caller.viaService === undefined ? {} : { viaService: caller.viaService }),
    ...(ctx === undefined ? {} : { encryptionContext: ctx }),
  };
  const d = policy ? evaluatePolicy(policy, req) : { decision: 'implicit-deny' as const };
  if (d.decision === 'allow') return;
  throw new KmsError(
    'AccessDeniedException',
    `User: ${caller.principal} is not authorized to perform: ${action} on resource: ${key.arn} ` +
      (d.decision === 'deny'
        ? 'with an explicit deny in a resource-based policy'
        : `because no resource-based policy allows the ${action} action`),
  );
}

/** Account-level actions (CreateKey, ListKeys, ListAliases) are IAM-only on AWS; the local
 * account has no IAM, so its own principals hold them and other accounts do not. */
export function authorizeAccount(principal: string, action: string): void {
  if (accountOf(principal) === LOCAL_ACCOUNT) return;
  throw new KmsError(
    'AccessDeniedException',
    `User: ${principal} is not authorized to perform: ${action} because no ` +
      `identity-based policy allows the ${action} action`,
  );
}

/** Validate a policy to be stored: JSON, shape, supported operators, and (unless bypassed)
 * the lockout safety check: the caller must still be allowed kms:PutKeyPolicy. */
export function checkNewPolicy(
  principal: string,
  policy: string,
  arn: string,
  bypass?: boolean,
): string {
  const p = parsePolicy(policy);
  if (!p.ok) throw new KmsError('MalformedPolicyDocumentException', p.reason);
  const unsupported = p.policy.statements.flatMap(unsupportedOperators);
  if (unsupported.length)
    throw new KmsError(
      'MalformedPolicyDocumentException',
      `unsupported condition operator(s): ${[...new Set(unsupported)].join(', ')}`,
    );
  if (!bypass) {
    const d = evaluatePolicy(p.policy, {
      principal: principal,
      action: 'kms:PutKeyPolicy',
      resource: arn,
    });
    if (d.decision !== 'allow')
      throw new KmsError(
        'MalformedPolicyDocumentException',
        `The new key policy will not allow you to update the key policy in the future ` +
          `(${principal} would lose kms:PutKeyPolicy). Set BypassPolicyLockoutSafetyCheck ` +
          `to store it anyway.`,
      );
  }
  return policy;
}
