// Small filesystem primitives the control plane and the object store are built on. Several
// processes (a `cmek apply`, a `cmek data put`, the poller of `cmek server`) may touch the same
// data directory at once, so every record is replaced atomically and every read-modify-write
// runs under a lock file. The atomic write and the lock file are the shared helpers of
// src/support (one implementation for the engine, the service layer and the local KMS).
import { constants as FS, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { writeFileAtomic } from '../support/atomic.js';
import { describeHolder, withLockFile, type LockState } from '../support/lock.js';

export { fsyncDir, sweepTempFiles, tempPathFor, writeFileAtomic } from '../support/atomic.js';

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Parsed JSON, or undefined when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // Not the parser's message: it quotes the file, which may be anything.
    const head = JSON.stringify(text.slice(0, 24)).slice(1, -1);
    throw new DiagnosticError(
      diag(
        'CONTROL_PLANE_CORRUPT',
        `Control-plane record ${path} is not valid JSON`,
        `It starts with "${head}"${text.length > 24 ? '…' : ''}. Restore the file from a backup ` +
          'of the data directory; or, if what it described is gone, move it out of the data ' +
          'directory.',
        { file: path },
      ),
    );
  }
}

export interface LockOptions {
  /** What the holder is doing, recorded in the lock file for humans. */
  operation?: string;
  /** Give up after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** The STATE_LOCKED diagnostic for a data-directory lock still held at the deadline: who holds
 * it, and the `cmek force-unlock ID` that removes it. */
export function dataLockedError(path: string, holder: LockState): DiagnosticError {
  const id = holder.kind === 'free' ? '<ID>' : holder.id;
  return new DiagnosticError(
    diag(
      'STATE_LOCKED',
      `Lock ${path} is held by another process`,
      `Held by ${describeHolder(holder)}. Wait for that command to finish and retry. If no cmek ` +
        `process is using this data directory, remove the lock with: cmek force-unlock ${id}`,
      { file: path },
    ),
  );
}

/** Run `fn` holding the lock file at `lockPath` (src/support/lock.ts). A lock left by a dead
 * process on this host, or a lock file with no readable holder (a full disk), is broken at once:
 * every write under these locks is temp+rename, so a dead holder's half-done work was never
 * renamed into place. A live holder is waited for, then `timeoutMs` → STATE_LOCKED. */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  return withLockFile(
    lockPath,
    {
      operation: opts.operation ?? 'update',
      timeoutMs: opts.timeoutMs ?? 30_000,
      breakStale: true,
      onTimeout: dataLockedError,
    },
    fn,
  );
}

/** Append one line to a log with O_APPEND: concurrent appenders never interleave within a
 * line as long as lines stay small (one write call per line). */
export async function appendLine(path: string, line: string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const fh = await fsp.open(path, FS.O_CREAT | FS.O_APPEND | FS.O_WRONLY, 0o600);
  try {
    await fh.write(`${line}\n`);
  } finally {
    await fh.close();
  }
}

/** Every lock file the control plane of `dataDir` may hold (for `cmek force-unlock`): one per
 * service, the service-name lock and the provider-managed-key lock. */
export async function dataDirLockPaths(dataDir: string): Promise<string[]> {
  const services = join(dataDir, 'services');
  const names = await fsp.readdir(services).catch(() => [] as string[]);
  return [
    ...names.filter((n) => n.endsWith('.lock')).map((n) => join(services, n)),
    join(dataDir, MANAGED_KEYS_LOCK),
  ];
}

/** The lock around creating a region's provider-managed key (in the data directory). */
export const MANAGED_KEYS_LOCK = 'managed-keys.lock';
