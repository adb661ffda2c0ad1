// Severity configuration of `cmek policy check`: `.cmek-policy.json` in the working directory,
// or the file given by `--config`. Shape:
//   { "severity": { "CMEK_KEY_ROTATION_OFF": "error", "CMEK_KEY_ALIAS_REF": "off" },
//     "skip": ["CMEK_KEY_DELETION_WINDOW"] }
// "off" drops the rule's findings entirely; "skip" reports them as suppressed.

import { readFile } from 'node:fs/promises';
import { diag, DiagnosticError, DIAGNOSTIC_CODES } from '../model/diagnostics.js';
import { normaliseCode } from './suppress.js';

export type ConfiguredSeverity = 'error' | 'warning' | 'off';

export interface PolicyConfig {
  severity: Record<string, ConfiguredSeverity>;
  skip: string[];
  /** The file it came from, when any. */
  file?: string;
}

export const CONFIG_FILE = '.cmek-policy.json';

function bad(file: string, why: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'POLICY_INPUT',
      `Cannot use the policy configuration ${file}: ${why}`,
      'Write {"severity": {"CODE": "error" | "warning" | "off"}, "skip": ["CODE"]} with codes ' +
        'from docs/policy.md.',
      { file },
    ),
  );
}

/** Parse the text of a configuration file. */
export function parsePolicyConfig(text: string, file: string): PolicyConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw bad(file, 'not an object');
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'severity' && k !== 'skip' && k !== '$schema') throw bad(file, `unknown key "${k}"`);
  const cfg: PolicyConfig = { severity: {}, skip: [], file };
  const codes = new Set<string>(DIAGNOSTIC_CODES);
  if (o.severity !== undefined) {
    if (typeof o.severity !== 'object' || o.severity === null || Array.isArray(o.severity))
      throw bad(file, '"severity" must be an object');
    for (const [k, v] of Object.entries(o.severity)) {
      const code = normaliseCode(k);
      if (!codes.has(code)) throw bad(file, `"${k}" is not a diagnostic code`);
      if (v !== 'error' && v !== 'warning' && v !== 'off')
        throw bad(file, `the severity of ${code} must be "error", "warning" or "off"`);
      cfg.severity[code] = v;
    }
  }
  if (o.skip !== undefined) {
    if (!Array.isArray(o.skip)) throw bad(file, '"skip" must be a list of codes');
    for (const v of o.skip) {
      if (typeof v !== 'string' || !codes.has(normaliseCode(v)))
        throw bad(file, `${JSON.stringify(v)} in "skip" is not a diagnostic code`);
      cfg.skip.push(normaliseCode(v));
    }
  }
  return cfg;
}

/** The configuration named by --config (must exist), else .cmek-policy.json in cwd (optional). */
export async function loadPolicyConfig(
  explicit: string | undefined,
  cwd: string,
): Promise<PolicyConfig> {
  const file = explicit ?? `${cwd}/${CONFIG_FILE}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (explicit === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT')
      return { severity: {}, skip: [] };
    throw bad(
      file,
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message,
    );
  }
  return parsePolicyConfig(text, explicit ?? CONFIG_FILE);
}
