// CMEK_REGION_MISMATCH: a key must live in the region of the service that uses it (both seeds:
// "the instance must be in the same region as its key"). Checked on the effective key, so a
// restore that inherits its backup's key into another region is caught too.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey, keyRegion } from './keys.js';
import type { RuleInput } from './model.js';
import { profileFacts } from './profiles.js';

export function regionMismatch(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const node of input.nodes) {
    // Backups have no region of their own: they live with their service.
    if (!isLive(node) || node.kind === 'backup') continue;
    const facts = profileFacts(node.profile);
    if (!facts.keyInServiceRegion) continue;
    const written = keyIsWritten(node);
    // A replica or clone that inherits into another region is reported by the more specific
    // CMEK_REPLICA_KEY_REQUIRED / CMEK_CLONE_KEY_INHERITED, which name the actual remedy.
    if (!written && (node.kind === 'replica' || node.kind === 'clone')) continue;
    const key = ctx.keyAfter(node);
    if (!key) continue;
    const region = ctx.regionOf(node);
    const kr = keyRegion(key);
    if (region === undefined || kr === undefined || region === kr) continue;

    const k = describeKey(key, false);
    if (written) {
      out.push(
        diag(
          'CMEK_REGION_MISMATCH',
          `${node.address} is in region ${region} but its key ${k} is in ${kr}`,
          `A customer-managed key must be in the same region as the ${node.kind} that uses it; ` +
            `the provider refuses a key from another region when the ${node.kind} is created.\n` +
            `Remedy: use a key created in ${region} (for example a cmek_kms_key with ` +
            `region = "${region}"), or place the ${node.kind} in ${kr}.`,
          where(node, keyAttr(node)),
        ),
      );
    } else {
      const inherit = facts.restoreEncryptedBackup === 'inherit';
      out.push(
        diag(
          'CMEK_REGION_MISMATCH',
          `${node.address} is in region ${region} but inherits the key ${k} from ${kr}`,
          `A ${node.kind} without its own key uses the key of its ${node.kind === 'restore' ? 'backup' : 'parent'}, ` +
            `and a key must be in the region of the service that uses it.\n` +
            (inherit
              ? `Remedy: the ${node.profile} profile restores an encrypted backup only with the ` +
                `backup's key, so restore into ${kr} (remove region or set region = "${kr}").`
              : `Remedy: set ${keyAttr(node)} to a key in ${region}, or restore into ${kr}.`),
          where(node, 'region'),
        ),
      );
    }
  }
  return out;
}
