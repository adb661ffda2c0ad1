// Key policies: parse, evaluate, and the two pure questions the CMEK rules ask of a policy
// (CMEK_KEY_POLICY_MISSING_ACTIONS and CMEK_KEY_POLICY_PUBLIC). The local KMS uses the same
// evaluator on every call, so a policy that passes the plan-time rule also works at run time.
import { parsePolicy, type PolicyDocument, type Statement } from './document.js';
import {
  evaluatePolicy,
  isPublicPrincipalBlock,
  parseOperator,
  type RequestContext,
} from './evaluate.js';

export * from './document.js';
export * from './evaluate.js';

/** What the clickhouse profile requires the service principal to hold. */
export const CLICKHOUSE_REQUIRED_ACTIONS = [
  'kms:GetPublicKey',
  'kms:Decrypt',
  'kms:GenerateDataKeyPair',
  'kms:Encrypt',
  'kms:GetKeyRotationStatus',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
] as const;

/** The cloudsql profile's "encrypter/decrypter" role, in KMS actions. */
export const ENCRYPTER_DECRYPTER_ACTIONS = ['kms:Encrypt', 'kms:Decrypt'] as const;

export type GrantContext = Omit<RequestContext, 'principal' | 'action'>;

export interface GrantResult {
  granted: string[];
  missing: string[];
  /** Set when the document did not parse (then every action is missing). */
  error?: string;
}

/** Which of `actions` the policy allows `principal` (explicit denies count). `ctx` supplies the
 * request's condition keys; without it, conditions are evaluated as AWS would for a direct call
 * with no encryption context (so a statement requiring `kms:ViaService` does not grant). */
export function grantsActions(
  policyDoc: unknown,
  principal: string,
  actions: readonly string[],
  ctx: GrantContext = {},
): GrantResult {
  const parsed = asDocument(policyDoc);
  if (!parsed.ok) return { granted: [], missing: [...actions], error: parsed.reason };
  const granted: string[] = [];
  const missing: string[] = [];
  for (const action of actions) {
    const d = evaluatePolicy(parsed.policy, { ...ctx, principal, action });
    (d.decision === 'allow' ? granted : missing).push(action);
  }
  return { granted, missing };
}

export interface PublicStatement {
  index: number;
  sid?: string;
  statement: Statement;
}

/** Condition keys that narrow who can use a statement, so that `"*"` with one of them is not
 * public (AWS's own aws/* key policies use `kms:CallerAccount` + `kms:ViaService`). */
const NARROWING_KEYS = new Set([
  'kms:calleraccount',
  'kms:viaservice',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceip',
  'aws:sourceorgid',
]);

/** Allow statements whose principal is `"*"` (or NotPrincipal, which is as broad) without a
 * narrowing condition: a positive operator (no IfExists) on a caller-identifying key with a
 * value that is not itself a bare wildcard. A document that does not parse yields []. */
export function allowsPublicPrincipal(policyDoc: unknown): PublicStatement[] {
  const parsed = asDocument(policyDoc);
  if (!parsed.ok) return [];
  const out: PublicStatement[] = [];
  parsed.policy.statements.forEach((s, index) => {
    if (s.effect !== 'Allow') return;
    const broad =
      (s.principal !== undefined && isPublicPrincipalBlock(s.principal)) ||
      s.notPrincipal !== undefined;
    if (!broad || isNarrowed(s)) return;
    out.push(s.sid === undefined ? { index, statement: s } : { index, sid: s.sid, statement: s });
  });
  return out;
}

function isNarrowed(s: Statement): boolean {
  for (const [op, keys] of Object.entries(s.condition ?? {})) {
    const p = parseOperator(op);
    if (!p || p.ifExists || p.set || p.base === 'Null' || p.base.includes('Not')) continue;
    if (!/^(String|Arn)/.test(p.base)) continue;
    for (const [key, values] of Object.entries(keys)) {
      if (NARROWING_KEYS.has(key.toLowerCase()) && values.every((v) => v !== '*' && v !== ''))
        return true;
    }
  }
  return false;
}

function asDocument(
  doc: unknown,
): { ok: true; policy: PolicyDocument } | { ok: false; reason: string } {
  if (isPolicyDocument(doc)) return { ok: true, policy: doc };
  return parsePolicy(doc);
}

function isPolicyDocument(v: unknown): v is PolicyDocument {
  return (
    typeof v === 'object' && v !== null && Array.isArray((v as { statements?: unknown }).statements)
  );
}
