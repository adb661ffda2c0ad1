// The state lock: `.<statefile>.lock.info` beside the state, created with O_EXCL so exactly one
// run wins, holding Terraform's lock-info JSON (ID, Operation, Who, Version, Created, Path).
// A held lock is a STATE_LOCKED diagnostic naming the holder and the force-unlock remedy. A lock
// left by a process that died on this host is NOT stolen: we only add a hint, because the pid
// may have been reused and stealing a live lock would let two runs write the same state.

import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { ENGINE_VERSION } from './state.js';

export interface LockInfo {
  ID: string;
  Operation: string;
  Info: string;
  Who: string;
  Version: string;
  Created: string;
  Path: string;
  /** Not in Terraform's layout: lets a later run tell whether the holder is still alive. */
  Pid?: number;
  Host?: string;
}

export function lockPath(statePath: string): string {
  return join(dirname(statePath), `.${basename(statePath)}.lock.info`);
}

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep "unknown" */
  }
  return `${user}@${hostname()}`;
}

export class StateLock {
  readonly info: LockInfo;
  readonly path: string;
  private released = false;
  constructor(path: string, info: LockInfo) {
    this.path = path;
    this.info = info;
  }
  /** Remove the lock if it is still ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const current = readLockInfo(this.path);
    if (current && current.ID !== this.info.ID) return; // someone force-unlocked and re-locked
    rmSync(this.path, { force: true });
  }
}

export function readLockInfo(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify(info)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockedDiagnostic(path: string, holder: LockInfo | undefined): Diagnostic {
  const lines = [
    'Another cmek run holds the state lock, so this one stopped before touching the state.',
    'Lock Info:',
    `  ID:        ${holder?.ID ?? '(unreadable lock file)'}`,
    `  Path:      ${holder?.Path ?? path}`,
    `  Operation: ${holder?.Operation ?? '?'}`,
    `  Who:       ${holder?.Who ?? '?'}`,
    `  Version:   ${holder?.Version ?? '?'}`,
    `  Created:   ${holder?.Created ?? '?'}`,
  ];
  const sameHost = holder?.Host === hostname();
  if (holder?.Pid !== undefined && sameHost && !pidAlive(holder.Pid)) {
    lines.push(
      `The holder (pid ${holder.Pid} on this host) is no longer running: the run probably ` +
        'crashed. The state it left is consistent (it is written after every resource); check ' +
        'that no other cmek run is active, then remove the lock.',
    );
  } else {
    lines.push('Wait for that run to finish, or retry with -lock-timeout=DURATION to wait.');
  }
  lines.push(
    `If you are sure no run is active, remove the lock with: cmek force-unlock ${holder?.ID ?? '<ID>'}`,
  );
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
}

/** Take the lock beside `statePath`, or throw DiagnosticError(STATE_LOCKED). */
export async function acquireLock(statePath: string, opts: AcquireOptions): Promise<StateLock> {
  const path = lockPath(statePath);
  const info: LockInfo = {
    ID: randomUUID(),
    Operation: opts.operation,
    Info: opts.info ?? '',
    Who: who(),
    Version: ENGINE_VERSION,
    Created: new Date().toISOString(),
    Path: statePath,
    Pid: process.pid,
    Host: hostname(),
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 0);
  let delay = 50;
  for (;;) {
    if (tryCreate(path, info)) return new StateLock(path, info);
    if (Date.now() >= deadline)
      throw new DiagnosticError(lockedDiagnostic(path, readLockInfo(path)));
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Remove the lock if its ID is `id` (terraform force-unlock). */
export function forceUnlock(statePath: string, id: string): Diagnostic[] {
  const path = lockPath(statePath);
  const current = readLockInfo(path);
  if (!current) {
    return [
      diag(
        'USAGE',
        'No lock to unlock',
        `There is no lock file at ${path}: the state is not locked.`,
      ),
    ];
  }
  if (current.ID !== id) {
    return [
      diag(
        'USAGE',
        `Lock ID "${id}" does not match the existing lock`,
        `The state is locked with ID ${current.ID} by ${current.Who} (${current.Operation}, ${current.Created}). ` +
          'Pass that ID to force-unlock.',
      ),
    ];
  }
  rmSync(path, { force: true });
  return [];
}

/** Parse terraform durations: "0s", "500ms", "10s", "1m30s", "2h". */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
