// The check itself: inputs → RuleInput (through the resource role tables) → the rules →
// findings with configured severities and suppressions. Each input is checked on its own (two
// plans may use the same addresses). Pure apart from reading the inputs.

import { relative } from 'node:path';
import type { Diagnostic } from '../model/diagnostics.js';
import {
  checkPolicyRules,
  cmekRuleInput,
  FOREIGN_ROLES,
  type ResourceRoles,
} from '../rules/index.js';
import type { PolicyConfig } from './config.js';
import { readInputs } from './inputs.js';
import { normaliseCode } from './suppress.js';
import type { Finding, PolicyInput } from './types.js';

/** The role table policy check uses: cmek's own types (from the resource definitions) and the
 * foreign ones. The resources layer is loaded only when an input has a `cmek_*` resource, so a
 * check of AWS/Google/ClickHouse plans starts without it. */
export async function policyRoles(
  inputs: readonly PolicyInput[],
): Promise<{ roles: ResourceRoles; servicePrincipal: string }> {
  const needsCmek = inputs.some((i) => i.resources.some((r) => r.type.startsWith('cmek_')));
  if (!needsCmek) return { roles: FOREIGN_ROLES, servicePrincipal: DEFAULT_PRINCIPAL };
  const [{ RESOURCE_ROLES }, { DEFAULT_SERVICE_PRINCIPAL }] = await Promise.all([
    import('../resources/index.js'),
    import('../resources/types.js'),
  ]);
  return {
    roles: Object.freeze({ ...FOREIGN_ROLES, ...RESOURCE_ROLES }),
    servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
  };
}

/** Only used when no cmek_* resource is present (no policy of a cmek key to judge). */
const DEFAULT_PRINCIPAL = 'arn:aws:iam::000000000000:role/cmek-service';

export interface CheckOptions {
  /** Codes suppressed by `--skip`. */
  skip?: readonly string[];
  config?: PolicyConfig;
  /** Base for relative file names in findings (default: the working directory). */
  cwd?: string;
  /** The role table and principal (see policyRoles); default: the foreign types only. */
  roles?: { roles: ResourceRoles; servicePrincipal: string };
}

export interface CheckResult {
  inputs: Array<{ path: string; kind: PolicyInput['kind']; resources: number }>;
  findings: Finding[];
  /** Non-fatal notes about the inputs (module calls not followed, ...). */
  notes: Array<Diagnostic & { input: string }>;
}

/** Check already-read inputs. */
export function checkInputs(inputs: readonly PolicyInput[], opts: CheckOptions = {}): CheckResult {
  const cwd = opts.cwd ?? process.cwd();
  const cfg = opts.config ?? { severity: {}, skip: [] };
  const cliSkip = new Set((opts.skip ?? []).map(normaliseCode));
  const cfgSkip = new Set(cfg.skip);
  const findings: Finding[] = [];
  const notes: CheckResult['notes'] = [];
  for (const input of inputs) {
    for (const n of input.notes) notes.push({ ...n, input: input.path });
    const ruleInput = cmekRuleInput(input.resources, {
      roles: opts.roles?.roles ?? FOREIGN_ROLES,
      servicePrincipal: opts.roles?.servicePrincipal ?? DEFAULT_PRINCIPAL,
    });
    const skipsOf = new Map(input.resources.map((r) => [r.address, r.skips ?? []] as const));
    for (const d of checkPolicyRules(ruleInput)) {
      const configured = cfg.severity[d.code];
      if (configured === 'off') continue;
      const f: Finding = { ...d, input: input.path, severity: configured ?? d.severity };
      if (f.file !== undefined && input.kind !== 'plan' && input.kind !== 'state') {
        f.file = relative(cwd, f.file.startsWith('/') ? f.file : `${cwd}/${f.file}`) || f.file;
      }
      if (f.file === undefined && input.file !== undefined && d.address !== undefined) {
        f.file = relative(cwd, input.file) || input.file;
        const line = input.lineOf?.(d.address);
        if (line !== undefined) f.line = line;
      }
      const inline =
        d.address !== undefined
          ? (skipsOf.get(d.address) ?? []).find((s) => s.code === d.code)
          : undefined;
      if (inline)
        f.suppressed = {
          kind: 'inSource',
          justification: `${inline.reason || 'no reason given'} (${inline.source})`,
        };
      else if (cliSkip.has(d.code))
        f.suppressed = { kind: 'external', justification: `skipped with --skip ${d.code}` };
      else if (cfgSkip.has(d.code))
        f.suppressed = {
          kind: 'external',
          justification: `skipped in ${cfg.file ?? 'the policy configuration'}`,
        };
      findings.push(f);
    }
  }
  return {
    inputs: inputs.map((i) => ({ path: i.path, kind: i.kind, resources: i.resources.length })),
    findings,
    notes,
  };
}

/** Read and check PATHs. Throws a DiagnosticError (POLICY_INPUT) for an unusable input. */
export async function policyCheck(
  paths: readonly string[],
  opts: CheckOptions = {},
): Promise<CheckResult> {
  const inputs = await readInputs(paths);
  return checkInputs(inputs, { ...opts, roles: opts.roles ?? (await policyRoles(inputs)) });
}

/** 0: no unsuppressed error; 1: at least one. (2, an unusable input, is the CLI's.) */
export function exitCodeOf(r: CheckResult): 0 | 1 {
  return r.findings.some((f) => f.severity === 'error' && !f.suppressed) ? 1 : 0;
}
