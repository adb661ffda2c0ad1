// A CMEK rule enforced by the control plane itself. The plan already ran the rules
// (src/rules/), but the control plane is a library too, and a value unknown at plan time, a
// state edited by hand or a direct call can reach it without a plan: it checks the same rules
// with the same predicates, and words the refusal with the rules' own message builders, so the
// logic and the text of each rule exist once (in src/rules/).
//
// CmekRuleError is a DiagnosticError, so it travels the way every resource failure does: the
// engine's apply gives the diagnostic the address of the resource whose operation failed (an
// address passed in here wins), the CLI verbs print it.
import { diag, DiagnosticError, type DiagnosticCode } from '../model/diagnostics.js';
import type { RuleMessage } from '../rules/model.js';

export class CmekRuleError extends DiagnosticError {
  /** The rule's code (`CMEK_KEY_REMOVAL`, ...). */
  readonly code: DiagnosticCode;
  /** The attribute the refusal is about (`kms_key`, `region`). */
  readonly attribute: string;
  readonly detail: string;
  constructor(code: DiagnosticCode, message: RuleMessage, attribute: string, address?: string) {
    super(
      diag(code, message.summary, message.detail, { attribute, ...(address ? { address } : {}) }),
    );
    this.name = 'CmekRuleError';
    this.code = code;
    this.attribute = attribute;
    this.detail = message.detail;
  }
}

/** What a message names: the resource address when the caller gave one, else `KIND NAME`. */
export function subjectOf(kind: string, name: string, address?: string): string {
  return address ?? `${kind} ${name}`;
}
