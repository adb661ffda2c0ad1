// Custom conditions (docs/configuration.md, "Custom conditions"): variable `validation`,
// `precondition` and `postcondition` in lifecycle blocks and outputs, and the `assert` blocks of
// `check` blocks. Each condition must evaluate to true; when it is false its error_message is
// reported at the condition's block (an error, CONDITION_FAILED; a warning, CHECK_FAILED, for a
// check's assert, which never fails the run). A condition whose value is not known yet is
// returned as `unknown`, to be checked at apply, as terraform does.

import { withModule } from '../model/address.js';
import { diag, DiagnosticError, type Diagnostic, type Severity } from '../model/diagnostics.js';
import { isUnknown, Sensitive, stripMarks, containsUnknown, type Value } from '../model/values.js';
import type { CheckBlock, Condition, EvalScope, SourcePos } from './config/types.js';

/** Terraform's summary of a failed condition, by kind (and for outputs). */
function summaryOf(c: Condition, subject: string): string {
  switch (c.kind) {
    case 'validation':
      return `Invalid value for variable "${subject.replace(/^var\./, '')}"`;
    case 'precondition':
      return subject.startsWith('output.')
        ? 'Module output value precondition failed'
        : 'Resource precondition failed';
    case 'postcondition':
      return 'Resource postcondition failed';
    case 'assert':
      return `Check block assertion failed (${subject})`;
  }
}

function remedyOf(c: Condition, pos: SourcePos): string {
  const at = `${pos.file}:${pos.line}`;
  switch (c.kind) {
    case 'validation':
      return `This was checked by the validation rule at ${at}: pass a value it accepts.`;
    case 'assert':
      return `This was checked by the assert at ${at}. A check never stops the run; fix what it reports.`;
    default:
      return `This was checked by the ${c.kind} at ${at}: change the values it checks, or the condition.`;
  }
}

export interface ConditionResult {
  diagnostics: Diagnostic[];
  /** Conditions whose value is not known yet (checked again at apply). */
  unknown: Condition[];
}

/** The address of a check block: `check.NAME`, `module.a["x"].check.NAME` in a module. */
export function checkAddress(c: Pick<CheckBlock, 'name' | 'module'>): string {
  return withModule(c.module, `check.${c.name}`);
}

/** Evaluate conditions in a scope. `subject` names what they belong to (`cmek_kms_key.k`,
 * `var.region`, `output.arn`, `check.health`) for the diagnostics' address. */
export function checkConditions(
  conditions: readonly Condition[] | undefined,
  scope: EvalScope,
  subject: string,
): ConditionResult {
  const out: ConditionResult = { diagnostics: [], unknown: [] };
  for (const c of conditions ?? []) {
    const severity: Severity = c.kind === 'assert' ? 'warning' : 'error';
    const code = c.kind === 'assert' ? 'CHECK_FAILED' : 'CONDITION_FAILED';
    const where = { file: c.pos.file, line: c.pos.line, address: subject, severity } as const;
    let v: Value;
    try {
      v = stripMarks(c.condition.evaluate(scope));
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      // An error in the condition itself; in a check block it is a warning too.
      out.diagnostics.push(
        ...e.diagnostics.map((d) => ({
          ...d,
          address: subject,
          ...(c.kind === 'assert' ? { severity } : {}),
        })),
      );
      continue;
    }
    if (isUnknown(v) || containsUnknown(v)) {
      out.unknown.push(c);
      continue;
    }
    if (v === null || (typeof v !== 'boolean' && v !== 'true' && v !== 'false')) {
      out.diagnostics.push(
        diag(
          code,
          'Invalid condition result',
          `The condition must be true or false, not ${v === null ? 'null' : JSON.stringify(v)}. ${remedyOf(c, c.pos)}`,
          where,
        ),
      );
      continue;
    }
    if (v === true || v === 'true') continue;
    out.diagnostics.push(
      diag(code, summaryOf(c, subject), `${message(c, scope)}\n${remedyOf(c, c.pos)}`, where),
    );
  }
  return out;
}

/** The error_message, evaluated; a sensitive or broken message is not shown. */
function message(c: Condition, scope: EvalScope): string {
  try {
    const m = c.errorMessage.evaluate(scope);
    if (m instanceof Sensitive)
      return 'The error message included a sensitive value, so it will not be displayed.';
    if (typeof m === 'string') return m;
    if (isUnknown(m)) return 'The error message is not known yet.';
    return `The error message is not a string (${JSON.stringify(m)}).`;
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return `The error message could not be evaluated: ${e.diagnostics[0]?.summary ?? 'error'}.`;
  }
}

/** A scope where `self` is an object (the planned or applied object of a postcondition). */
export function selfScope(scope: EvalScope, self: Value): EvalScope {
  return {
    ...scope,
    lookup(root, pos) {
      if (root === 'self') return self;
      if (root.startsWith('self.')) {
        const o = stripMarks(self);
        if (o !== null && typeof o === 'object' && !Array.isArray(o) && !isUnknown(o))
          return (o as Record<string, Value>)[root.slice(5)];
        return self;
      }
      return scope.lookup(root, pos);
    },
  };
}
