// The key-policy evaluator. Written here rather than taken from npm: the candidates are AGPL
// or do not implement AWS's condition semantics. It follows AWS's published evaluation logic for
// a single resource policy:
//
//   explicit Deny in any matching statement  → deny
//   else an Allow in any matching statement  → allow
//   else                                     → implicit deny
//
// A statement matches when its principal, action, resource and every condition match. The local
// account has no IAM (docs/configuration.md): a statement that names an account root (`arn:aws:iam::A:root` or
// `A`) is taken to cover every principal of account A, as if A's IAM allowed them `kms:*`.
import type { EncryptionContext } from '../kms.js';
import type { ConditionBlock, PolicyDocument, PrincipalBlock, Statement } from './document.js';

export interface RequestContext {
  /** Caller: an IAM ARN (role, user, root, assumed-role session), an account id, or a service
   * name such as `rds.amazonaws.com`. */
  principal: string;
  /** `kms:Encrypt` etc. */
  action: string;
  /** The key ARN. Absent = unknown: every Resource element is taken to match. */
  resource?: string;
  /** `kms:CallerAccount`; derived from the principal when absent. */
  callerAccount?: string;
  /** `kms:ViaService`; absent for direct calls. */
  viaService?: string;
  /** The request's encryption context (`kms:EncryptionContext:K`, `kms:EncryptionContextKeys`). */
  encryptionContext?: EncryptionContext;
  /** Any other condition keys, lower-case names (e.g. `kms:encryptionalgorithm`). */
  extra?: Record<string, string | string[]>;
}

export type Decision =
  | { decision: 'allow'; statement: StatementRef }
  | { decision: 'deny'; statement: StatementRef }
  | { decision: 'implicit-deny' };

export interface StatementRef {
  index: number;
  sid?: string;
}

/** Condition operators we evaluate (base names, before IfExists / ForAnyValue: / ForAllValues:). */
export const SUPPORTED_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
  'Bool',
  'Null',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
] as const;

export function evaluatePolicy(policy: PolicyDocument, req: RequestContext): Decision {
  let allow: StatementRef | undefined;
  for (let i = 0; i < policy.statements.length; i++) {
    const s = policy.statements[i]!;
    if (!statementMatches(s, req)) continue;
    const ref: StatementRef = s.sid === undefined ? { index: i } : { index: i, sid: s.sid };
    if (s.effect === 'Deny') return { decision: 'deny', statement: ref };
    allow ??= ref;
  }
  return allow ? { decision: 'allow', statement: allow } : { decision: 'implicit-deny' };
}

export function statementMatches(s: Statement, req: RequestContext): boolean {
  if (s.principal !== undefined && !principalBlockMatches(s.principal, req.principal)) return false;
  if (s.notPrincipal !== undefined && principalBlockMatches(s.notPrincipal, req.principal))
    return false;
  if (s.action !== undefined && !s.action.some((a) => actionMatches(a, req.action))) return false;
  if (s.notAction !== undefined && s.notAction.some((a) => actionMatches(a, req.action)))
    return false;
  if (req.resource !== undefined) {
    const res = req.resource;
    if (s.resource !== undefined && !s.resource.some((r) => glob(r, res, false))) return false;
    if (s.notResource !== undefined && s.notResource.some((r) => glob(r, res, false))) return false;
  }
  return s.condition === undefined || conditionsMatch(s.condition, req, s.effect);
}

/** The account id of a principal ARN (`arn:aws:iam::A:...`, `arn:aws:sts::A:...`) or a bare
 * 12-digit id; undefined for service principals and anything else. */
export function accountOf(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal);
  return m?.[1];
}

export function isPublicPrincipalBlock(p: PrincipalBlock): boolean {
  return p === '*' || (p.AWS ?? []).includes('*');
}

export function principalBlockMatches(p: PrincipalBlock, caller: string): boolean {
  if (p === '*') return true;
  for (const [kind, values] of Object.entries(p)) {
    for (const v of values) {
      if (v === '*') return true;
      if (kind === 'AWS' ? awsPrincipalMatches(v, caller) : v === caller) return true;
    }
  }
  return false;
}

function awsPrincipalMatches(v: string, caller: string): boolean {
  if (v === caller) return true;
  // Account root (or bare account id): every principal of that account (see file comment).
  const root = /^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$/.exec(v);
  if (root) return accountOf(caller) === (root[1] ?? root[2]);
  // A role matches its assumed-role sessions (the session ARN drops the role's path).
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(v);
  if (role) {
    const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(caller);
    return !!session && session[1] === role[1] && session[2] === role[2] && session[3] === role[3];
  }
  return false;
}

/** `kms:Encrypt` against `kms:*`, `kms:GenerateDataKey*`, `*`: case-insensitive globs. */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern, action, true);
}

const globCache = new Map<string, RegExp>();

/** `*` = any run of characters, `?` = any one character, everything else literal. */
export function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?'))
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = globCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re.test(value);
}

interface ParsedOperator {
  base: string;
  ifExists: boolean;
  set?: 'any' | 'all';
}

/** Split `ForAnyValue:StringLikeIfExists` into its parts; undefined if not supported. */
export function parseOperator(op: string): ParsedOperator | undefined {
  let rest = op;
  let set: 'any' | 'all' | undefined;
  const q = /^(ForAnyValue|ForAllValues):(.*)$/i.exec(rest);
  if (q) {
    set = q[1]!.toLowerCase() === 'foranyvalue' ? 'any' : 'all';
    rest = q[2]!;
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = SUPPORTED_OPERATORS.find((o) => o === rest);
  if (!base || (base === 'Null' && (ifExists || set))) return undefined;
  return set ? { base, ifExists, set } : { base, ifExists };
}

/** Every condition operator in a statement that this evaluator does not support. */
export function unsupportedOperators(s: Statement): string[] {
  return Object.keys(s.condition ?? {}).filter((op) => parseOperator(op) === undefined);
}

function conditionsMatch(
  cond: ConditionBlock,
  req: RequestContext,
  effect: Statement['effect'],
): boolean {
  for (const [op, keys] of Object.entries(cond)) {
    const parsed = parseOperator(op);
    // Unknown operator: fail closed (an Allow does not apply, a Deny does).
    if (!parsed) return effect === 'Deny';
    for (const [key, values] of Object.entries(keys)) {
      if (!conditionHolds(parsed, requestValues(key, req), values)) return false;
    }
  }
  return true;
}

const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
  'NumericNotEquals',
]);

function conditionHolds(op: ParsedOperator, actual: string[] | undefined, wanted: string[]) {
  if (op.base === 'Null') {
    const wantAbsent = wanted.some((w) => w.toLowerCase() === 'true');
    return wantAbsent === (actual === undefined || actual.length === 0);
  }
  const negated = NEGATED.has(op.base);
  if (actual === undefined || (op.set && actual.length === 0)) {
    // Missing key (AWS): IfExists → true; ForAllValues → true (vacuous); ForAnyValue → false;
    // negated operators → true; positive operators → false.
    if (op.ifExists || op.set === 'all') return true;
    if (op.set === 'any') return false;
    return negated;
  }
  const positive = positiveMatcher(op.base);
  const one = (v: string) => {
    const hit = wanted.some((w) => positive(v, w));
    return negated ? !hit : hit;
  };
  if (op.set === 'all') return actual.every(one);
  if (op.set === 'any') return actual.some(one);
  // Single-valued use: the key's (only) value must satisfy the operator. For a negated operator
  // over a multi-valued key, no value may match.
  return negated ? actual.every(one) : actual.some(one);
}

function positiveMatcher(base: string): (v: string, w: string) => boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
      return (v, w) => (base.startsWith('Arn') ? glob(w, v, false) : v === w);
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return (v, w) => v.toLowerCase() === w.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return (v, w) => glob(w, v, false);
    case 'Bool':
      return (v, w) => v.toLowerCase() === w.toLowerCase();
    case 'NumericEquals':
    case 'NumericNotEquals':
      return num((a, b) => a === b);
    case 'NumericLessThan':
      return num((a, b) => a < b);
    case 'NumericLessThanEquals':
      return num((a, b) => a <= b);
    case 'NumericGreaterThan':
      return num((a, b) => a > b);
    case 'NumericGreaterThanEquals':
      return num((a, b) => a >= b);
    default:
      return () => false;
  }
}

function num(cmp: (a: number, b: number) => boolean): (v: string, w: string) => boolean {
  return (v, w) => {
    const a = Number(v);
    const b = Number(w);
    return Number.isFinite(a) && Number.isFinite(b) && cmp(a, b);
  };
}

/** The request's values for a condition key (names are case-insensitive), or undefined when
 * the request does not carry that key. */
export function requestValues(key: string, req: RequestContext): string[] | undefined {
  const k = key.toLowerCase();
  const ec = req.encryptionContext ?? {};
  if (k.startsWith('kms:encryptioncontext:')) {
    // The context key in the condition key name is case-insensitive; its value is not.
    const name = key.slice('kms:encryptioncontext:'.length);
    if (Object.hasOwn(ec, name)) return [ec[name]!];
    const found = Object.keys(ec).find((n) => n.toLowerCase() === name.toLowerCase());
    return found === undefined ? undefined : [ec[found]!];
  }
  switch (k) {
    case 'kms:encryptioncontextkeys':
      return Object.keys(ec).length ? Object.keys(ec) : undefined;
    case 'kms:calleraccount':
    case 'aws:principalaccount': {
      const a = req.callerAccount ?? accountOf(req.principal);
      return a === undefined ? undefined : [a];
    }
    case 'kms:viaservice':
      return req.viaService === undefined ? undefined : [req.viaService];
    case 'aws:principalarn':
      return [req.principal];
  }
  const extra = req.extra?.[k];
  if (extra === undefined) return undefined;
  return Array.isArray(extra) ? extra : [extra];
}
