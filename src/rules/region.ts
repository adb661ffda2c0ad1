// CMEK_REGION_MISMATCH: a key must live in the region of the service that uses it (both seeds:
// "the instance must be in the same region as its key"). Checked on the effective key, so a
// restore that inherits its backup's key into another region is caught too.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import { buildContext, isLive, keyAttr, keyIsWritten, where, type RuleContext } from './graph.js';
import { describeKey, keyRegion } from './keys.js';
import type { NodeKind, RuleInput, RuleMessage } from './model.js';
import { profileFacts } from './profiles.js';

/** Whether a key in `keyRegion` may serve a service in `serviceRegion` under `profile` (both
 * profiles require the key in the service's region). A region not known yet is never a
 * mismatch. */
export function keyRegionMatches(
  keyRegion: string | undefined,
  serviceRegion: string | undefined,
  profile?: unknown,
): boolean {
  if (!profileFacts(profile).keyInServiceRegion) return true;
  return keyRegion === undefined || serviceRegion === undefined || keyRegion === serviceRegion;
}

/** CMEK_REGION_MISMATCH for a key the service names itself (`subject`: an address, or
 * `service NAME`). */
export function regionMismatchMessage(f: {
  subject: string;
  kind: NodeKind;
  region: string;
  key: string;
  keyRegion: string;
}): RuleMessage {
  return {
    summary: `${f.subject} is in region ${f.region} but its key ${f.key} is in ${f.keyRegion}`,
    detail:
      `A customer-managed key must be in the same region as the ${f.kind} that uses it; ` +
      `the provider refuses a key from another region when the ${f.kind} is created.\n` +
      `Remedy: use a key created in ${f.region} (for example a cmek_kms_key with ` +
      `region = "${f.region}"), or place the ${f.kind} in ${f.keyRegion}.`,
  };
}

export function regionMismatch(
  input: RuleInput,
  ctx: RuleContext = buildContext(input),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const node of input.nodes) {
    // Backups have no region of their own: they live with their service.
    if (!isLive(node) || node.kind === 'backup') continue;
    const facts = profileFacts(node.profile);
    const written = keyIsWritten(node);
    // A replica or clone that inherits into another region is reported by the more specific
    // CMEK_REPLICA_KEY_REQUIRED / CMEK_CLONE_KEY_INHERITED, which name the actual remedy.
    if (!written && (node.kind === 'replica' || node.kind === 'clone')) continue;
    const key = ctx.keyAfter(node);
    if (!key) continue;
    const region = ctx.regionOf(node);
    const kr = keyRegion(key);
    if (region === undefined || kr === undefined) continue;
    if (keyRegionMatches(kr, region, node.profile)) continue;

    const k = describeKey(key, false);
    if (written) {
      const m = regionMismatchMessage({
        subject: node.address,
        kind: node.kind,
        region,
        key: k,
        keyRegion: kr,
      });
      out.push(diag('CMEK_REGION_MISMATCH', m.summary, m.detail, where(node, keyAttr(node))));
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
