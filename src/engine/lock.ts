// The state lock of the local backend (src/engine/backend/local-lock.ts), re-exported where the
// engine's library API always had it; `acquireLock` writes this cmek's version into the info.
import {
  acquireLock as acquireLocalLock,
  type AcquireOptions,
  type StateLock,
} from './backend/local-lock.js';
import { ENGINE_VERSION } from './state.js';

export {
  forceUnlock,
  lockedDiagnostic,
  lockPath,
  parseDuration,
  readLockInfo,
  StateLock,
  unlockMismatch,
  unlockPath,
  type AcquireOptions,
  type LockInfo,
  type UnlockResult,
} from './backend/local-lock.js';

/** Take the lock beside `statePath`, or throw DiagnosticError(STATE_LOCKED). */
export function acquireLock(statePath: string, opts: AcquireOptions): Promise<StateLock> {
  return acquireLocalLock(statePath, { version: ENGINE_VERSION, ...opts });
}
