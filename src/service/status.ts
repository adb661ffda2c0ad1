// The status machine of a service: what one key check does to a service's status.
// Pure: the control plane applies the result under the record's lock and logs it.
import type { DiagnosticError } from '../model/diagnostics.js';
import { shreddedReason } from './shredding.js';
import type { KeyDestroyed, ServiceRecord, ServiceStatus } from './types.js';

/** The status and reason a service moves to after a key check. A destroyed key stops the
 * service for good (both profiles); an inaccessible key stops a clickhouse service and suspends
 * a cloudsql one; a SUSPENDED cloudsql service whose key is back resumes; a STOPPED one waits
 * for `cmek service start`. */
export function afterKeyCheck(
  r: Pick<ServiceRecord, 'status' | 'statusReason' | 'profile'>,
  outcome: { destroyed?: KeyDestroyed | undefined; failure?: DiagnosticError | undefined },
): { to: ServiceStatus; reason: string } {
  const { destroyed, failure } = outcome;
  if (destroyed) return { to: 'STOPPED', reason: shreddedReason(destroyed) };
  if (failure) {
    if (r.status === 'RUNNING') {
      return {
        to: r.profile === 'cloudsql' ? 'SUSPENDED' : 'STOPPED',
        reason: `key check failed: ${failure.diagnostics[0]?.summary ?? failure.message}`,
      };
    }
    return { to: r.status, reason: r.statusReason };
  }
  if (r.status === 'SUSPENDED' && r.profile === 'cloudsql')
    return { to: 'RUNNING', reason: 'key check passed: key accessible again' };
  return { to: r.status, reason: r.statusReason };
}
