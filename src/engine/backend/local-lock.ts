// The local backend's state lock: `.<statefile>.lock.info` beside the state, a lock file of src/support/lock.ts
// (created complete or not at all) holding Terraform's lock-info JSON (ID, Operation, Who,
// Version, Created, Path) plus the holder's pid, host and start time. A held lock is a
// STATE_LOCKED diagnostic naming the holder, its ID and the force-unlock remedy. The state lock
// is never broken by the next run, not even one left by a dead holder: we only add a hint, and
// `cmek force-unlock ID` removes it — also a lock file that cannot be read, under the ID the
// message reports for it.
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { parseDuration as parseGoDuration } from '../../model/duration.js';
import {
  newLockInfo,
  readLockSync,
  removeLockSync,
  tryCreateLockSync,
  type LockInfo,
  type LockState,
} from '../../support/lock.js';

export type { LockInfo } from '../../support/lock.js';

export function lockPath(statePath: string): string {
  return join(dirname(statePath), `.${basename(statePath)}.lock.info`);
}

export class StateLock {
  readonly info: LockInfo;
  readonly path: string;
  private released = false;
  constructor(path: string, info: LockInfo) {
    this.path = path;
    this.info = info;
  }
  /** Remove the lock if it is still ours (someone may have force-unlocked and re-locked). */
  release(): void {
    if (this.released) return;
    this.released = true;
    removeLockSync(this.path, this.info.ID);
  }
}

/** The lock info at `path`; undefined when there is no lock or it cannot be read. */
export function readLockInfo(path: string): LockInfo | undefined {
  const s = readLockSync(path);
  return s.kind === 'held' ? s.info : undefined;
}

/** The first lines of every STATE_LOCKED message (Terraform's "Lock Info:" block), whatever
 * the backend. */
export function lockInfoLines(id: string, holder: Partial<LockInfo> | undefined, path: string) {
  return [
    'Another cmek run holds the state lock, so this one stopped before touching the state.',
    'Lock Info:',
    `  ID:        ${id}`,
    `  Path:      ${holder?.Path ?? path}`,
    `  Operation: ${holder?.Operation ?? '?'}`,
    `  Who:       ${holder?.Who ?? '?'}`,
    `  Version:   ${holder?.Version ?? '?'}`,
    `  Created:   ${holder?.Created ?? '?'}`,
  ];
}

export function lockedDiagnostic(path: string, state: LockState): Diagnostic {
  const holder = state.kind === 'held' ? state.info : undefined;
  const id = state.kind === 'free' ? '<ID>' : state.id;
  const lines = lockInfoLines(id, holder, path);
  if (state.kind === 'unreadable') {
    lines.push(
      `The lock file ${path} holds no readable lock info (${state.text.length} bytes): no ` +
        'live cmek run writes such a file (a full disk or a crash left it).',
    );
  } else if (holder?.Pid !== undefined && state.kind === 'held' && state.alive === false) {
    lines.push(
      `The holder (pid ${holder.Pid} on ${holder.Host ?? hostname()}) is no longer running: the ` +
        'run probably crashed. The state it left is consistent (it is written after every ' +
        'resource); check that no other cmek run is active, then remove the lock.',
    );
  } else {
    lines.push('Wait for that run to finish, or retry with -lock-timeout=DURATION to wait.');
  }
  lines.push(`If you are sure no run is active, remove the lock with: cmek force-unlock ${id}`);
  return diag(
    'STATE_LOCKED',
    `Error acquiring the state lock (held by ${holder?.Who ?? 'unknown'})`,
    lines.join('\n'),
    {
      file: path,
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AcquireOptions {
  operation: string;
  /** Wait up to this long for a held lock (ms). Default 0: fail at once. */
  timeoutMs?: number;
  info?: string;
  /** The cmek version written into the lock info. */
  version?: string;
}

/** Take the lock beside `statePath`, or throw DiagnosticError(STATE_LOCKED). */
export async function acquireLock(statePath: string, opts: AcquireOptions): Promise<StateLock> {
  const path = lockPath(statePath);
  const info = newLockInfo({
    operation: opts.operation,
    path: statePath,
    version: opts.version ?? '',
    ...(opts.info !== undefined ? { info: opts.info } : {}),
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 0);
  let delay = 50;
  for (;;) {
    if (tryCreateLockSync(path, info)) return new StateLock(path, info);
    if (Date.now() >= deadline) {
      const state = readLockSync(path);
      if (state.kind === 'free') continue; // released just now
      throw new DiagnosticError(lockedDiagnostic(path, state));
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 1000);
  }
}

/** What `cmek force-unlock ID` found at one lock path. */
export type UnlockResult =
  | { kind: 'removed'; path: string }
  | { kind: 'none' }
  | { kind: 'mismatch'; path: string; state: Exclude<LockState, { kind: 'free' }> };

/** Remove the lock file at `path` if the ID reported for it is `id` (a readable lock's ID, or
 * the `unreadable-…` ID of a file without lock info). */
export function unlockPath(path: string, id: string): UnlockResult {
  const current = readLockSync(path);
  if (current.kind === 'free') return { kind: 'none' };
  if (current.id !== id) return { kind: 'mismatch', path, state: current };
  return removeLockSync(path, id) ? { kind: 'removed', path } : { kind: 'none' };
}

/** The USAGE diagnostic for a force-unlock ID that matches none of the locks looked at. */
export function unlockMismatch(id: string, looked: UnlockResult[], where: string[]): Diagnostic {
  const held = looked.filter(
    (r): r is Extract<UnlockResult, { kind: 'mismatch' }> => r.kind === 'mismatch',
  );
  if (!held.length) {
    return diag(
      'USAGE',
      'No lock to unlock',
      `There is no lock file at ${where.join(', ')}: nothing is locked.`,
    );
  }
  const lines = held.map((r) => {
    const s = r.state;
    return s.kind === 'held'
      ? `${r.path} is locked with ID ${s.id} by ${s.info.Who} (${s.info.Operation}, ${s.info.Created}).`
      : `${r.path} is an unreadable lock file with ID ${s.id}.`;
  });
  return diag(
    'USAGE',
    `Lock ID "${id}" does not match the existing lock`,
    `${lines.join('\n')}\nPass that ID to force-unlock.`,
  );
}

/** Remove the state lock if its ID is `id` (terraform force-unlock). */
export function forceUnlock(statePath: string, id: string): Diagnostic[] {
  const path = lockPath(statePath);
  const r = unlockPath(path, id);
  return r.kind === 'removed' ? [] : [unlockMismatch(id, [r], [path])];
}

/** Terraform durations for -lock-timeout ("0s", "500ms", "1m30s", or bare seconds "5"): the one
 * parser of src/model/duration.ts. */
export function parseDuration(text: string): number | undefined {
  return parseGoDuration(text, { bareSeconds: true });
}
