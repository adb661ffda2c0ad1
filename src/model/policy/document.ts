// Key policy documents: parsing and normalization. Users hand us JSON in many shapes (a full
// document, a bare Statement object as in the AWS docs, a single statement instead of a list,
// scalars instead of lists), so everything is normalized once here and the evaluator only ever
// sees lists of strings.
import { z } from 'zod';

export type Effect = 'Allow' | 'Deny';

/** A principal block after normalization: `'*'` or a map of kind (AWS, Service, Federated,
 * CanonicalUser) to principal strings. */
export type PrincipalBlock = '*' | Record<string, string[]>;

/** Condition block: operator → condition key → values (stringified, as AWS compares them). */
export type ConditionBlock = Record<string, Record<string, string[]>>;

export interface Statement {
  sid?: string;
  effect: Effect;
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  condition?: ConditionBlock;
}

export interface PolicyDocument {
  version?: string;
  id?: string;
  statements: Statement[];
}

export type ParsePolicyResult =
  { ok: true; policy: PolicyDocument } | { ok: false; reason: string };

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const strList = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const principalSchema = z.union([z.literal('*'), z.record(z.string(), strList)], {
  error: 'must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}',
});
const conditionSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.union([scalar, z.array(scalar)]).transform((v) => (Array.isArray(v) ? v : [v])),
  ),
);
const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Principal: principalSchema.optional(),
    NotPrincipal: principalSchema.optional(),
    Action: strList.optional(),
    NotAction: strList.optional(),
    Resource: strList.optional(),
    NotResource: strList.optional(),
    Condition: conditionSchema.optional(),
  })
  .loose()
  .superRefine((s, ctx) => {
    const one = (a: unknown, b: unknown, what: string) => {
      if ((a === undefined) === (b === undefined))
        ctx.addIssue({ code: 'custom', message: `exactly one of ${what} is required` });
    };
    one(s.Principal, s.NotPrincipal, 'Principal / NotPrincipal');
    one(s.Action, s.NotAction, 'Action / NotAction');
    one(s.Resource, s.NotResource, 'Resource / NotResource');
  });
const documentSchema = z
  .object({
    Version: z.string().optional(),
    Id: z.string().optional(),
    // A single statement object is as valid as a list of one.
    Statement: z.preprocess(
      (v) => (Array.isArray(v) ? v : [v]),
      z.array(statementSchema).min(1, 'at least one statement is required'),
    ),
  })
  .loose();

/** Parse a key policy from a JSON string or an already-parsed value. A bare statement object
 * (with Effect but no Statement) is accepted as a one-statement document. Never throws. */
export function parsePolicy(input: unknown): ParsePolicyResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      return { ok: false, reason: `policy is not valid JSON: ${(e as Error).message}` };
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'policy must be a JSON object' };
  const obj = value as Record<string, unknown>;
  const doc = 'Statement' in obj || !('Effect' in obj) ? obj : { Statement: [obj] };
  const r = documentSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `policy is malformed: ${path}${issue.message}` };
  }
  const statements = r.data.Statement.map((s): Statement => {
    const st: Statement = { effect: s.Effect };
    if (s.Sid !== undefined) st.sid = s.Sid;
    if (s.Principal !== undefined) st.principal = s.Principal;
    if (s.NotPrincipal !== undefined) st.notPrincipal = s.NotPrincipal;
    if (s.Action !== undefined) st.action = s.Action;
    if (s.NotAction !== undefined) st.notAction = s.NotAction;
    if (s.Resource !== undefined) st.resource = s.Resource;
    if (s.NotResource !== undefined) st.notResource = s.NotResource;
    if (s.Condition !== undefined) st.condition = s.Condition;
    return st;
  });
  const policy: PolicyDocument = { statements };
  if (r.data.Version !== undefined) policy.version = r.data.Version;
  if (r.data.Id !== undefined) policy.id = r.data.Id;
  return { ok: true, policy };
}

/** AWS's default key policy for a key created without one: the account-root statement that
 * delegates access to the account's IAM ("Enable IAM User Permissions"). */
export function defaultKeyPolicy(account: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}
