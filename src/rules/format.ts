// CMEK_KEY_FORMAT: a key reference written in the configuration that is not a valid AWS key ARN,
// key id, alias (name or ARN) or GCP crypto key name. The parser and the diagnostic text belong
// to src/kms/ref.ts; this rule only decides which written values to check and where they are.

import type { Diagnostic } from '../model/diagnostics.js';
import { keyFormatDiagnostic, parseKeyRef } from '../model/key-ref.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import type { RuleInput } from './model.js';

export function keyFormat(input: RuleInput, _ctx: RuleContext = buildContext(input)): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const node of input.nodes) {
    if (!isLive(node) || !keyIsWritten(node)) continue;
    const ref = node.key?.ref;
    if (ref === undefined) continue;
    const r = parseKeyRef(ref);
    if (!r.ok) out.push(keyFormatDiagnostic(ref, r.reason, where(node, keyAttr(node))));
  }
  for (const p of input.policies) {
    // A policy attached by address to a key of this plan has nothing written to check.
    if (p.keyRef === undefined) continue;
    const r = parseKeyRef(p.keyRef);
    if (!r.ok) out.push(keyFormatDiagnostic(p.keyRef, r.reason, where(p, 'key_id')));
  }
  return out;
}
