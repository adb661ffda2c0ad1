// CMEK_KEY_INACCESSIBLE at plan time: a database may not be created or changed onto a key whose
// state is known (a lookup read it, for example a `cmek_kms_key` data source) and is not
// Enabled. The live key check the control plane runs when a service is created
// (src/service/key-check.ts) refuses such a key with the same remedy.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { keyAttr, where } from './graph.js';
import type { RuleInput } from './model.js';

/** What a user does about a key in `state` (not Enabled). */
export function keyStateRemedy(key: string, state: string): string {
  if (state === 'Disabled') return `enable the key (cmek kms enable ${key})`;
  if (state === 'PendingDeletion')
    return `cancel the scheduled deletion (cmek kms cancel-deletion ${key}) and enable the key`;
  return 'nothing: the key material is destroyed; use another key';
}

export function keyNotEnabled(input: RuleInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const node of input.nodes) {
    // Only what the plan creates or changes: a service already on the key is the poller's.
    if (node.action === 'delete' || node.action === 'noop') continue;
    const ref = node.key?.ref;
    const state = node.key?.state;
    if (!ref || !state || state === 'Enabled') continue;
    out.push(
      diag(
        'CMEK_KEY_INACCESSIBLE',
        `Key ${ref} is ${state}`,
        `${node.address} would use the key ${ref}, which is ${state}; a database key must be ` +
          `Enabled. Remedy: ${keyStateRemedy(ref, state)}.`,
        where(node, keyAttr(node)),
      ),
    );
  }
  return out;
}
