// The one lock-file helper: the state lock, the data directory's locks (per service, service
// names, provider-managed keys) and the local KMS's keystore.lock are all files made by it.
//
// A lock file is created complete: its JSON is written to a temp file which is then hard-linked
// to the lock's name (link fails with EEXIST when the lock exists, like O_EXCL, but the name
// only ever appears with its whole content). So a lock file that is empty or not our JSON was
// not written by a live holder: it is debris (a disk that filled up, a crash of an older
// version, a hand edit). Every lock is therefore either
//   - provably live: it names a process (pid, host, start time) that is still running, or
//   - breakable: a dead holder on this host, or an unreadable file, is broken by the next
//     taker when its policy allows (`breakStale`), and any lock, whatever its content, is
//     removed by `cmek force-unlock ID` with the ID that the "locked" message reports.
// A holder on another host (a shared filesystem) cannot be checked from here: it is waited
// for, then reported with its ID.
//
// The file holds Terraform's lock-info layout (ID, Operation, Info, Who, Version, Created,
// Path) plus Pid, Host and Started, so `cmek force-unlock` and the messages read every lock
// the same way.
import { createHash, randomUUID } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  promises as fsp,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { tempPathFor } from './atomic.js';
import { processAlive, thisProcess } from './process.js';

export interface LockInfo {
  ID: string;
  Operation: string;
  Info: string;
  Who: string;
  Version: string;
  Created: string;
  Path: string;
  Pid?: number;
  Host?: string;
  /** The holder's start time (see process.ts): tells a live holder from a reused pid. */
  Started?: string;
}

/** What is at a lock's path now. */
export type LockState =
  | { kind: 'free' }
  | {
      kind: 'held';
      id: string;
      info: LockInfo;
      /** true: the holder runs; false: it is gone; undefined: another host, cannot tell. */
      alive: boolean | undefined;
      text: string;
      mtimeMs: number;
    }
  | { kind: 'unreadable'; id: string; text: string; mtimeMs: number };

/** The ID reported for a lock file that holds no readable lock info: stable for the same
 * content, so `force-unlock ID` removes exactly the file that was reported. */
export function unreadableLockId(text: string): string {
  return `unreadable-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

function parse(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null;
    if (v && typeof v === 'object' && typeof v.ID === 'string' && v.ID) return v as LockInfo;
  } catch {
    /* not JSON */
  }
  return undefined;
}

function stateOf(text: string, mtimeMs: number): LockState {
  const info = parse(text);
  if (!info) return { kind: 'unreadable', id: unreadableLockId(text), text, mtimeMs };
  const alive = processAlive({
    ...(info.Pid !== undefined ? { pid: info.Pid } : {}),
    ...(info.Host !== undefined ? { host: info.Host } : {}),
    ...(info.Started !== undefined ? { started: info.Started } : {}),
  });
  return { kind: 'held', id: info.ID, info, alive, text, mtimeMs };
}

export function readLockSync(path: string): LockState {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    return stateOf(readFileSync(path, 'utf8'), mtimeMs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'free' };
    throw e;
  }
}

export async function readLock(path: string): Promise<LockState> {
  try {
    const mtimeMs = (await fsp.stat(path)).mtimeMs;
    return stateOf(await fsp.readFile(path, 'utf8'), mtimeMs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'free' };
    throw e;
  }
}

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep "unknown" */
  }
  return `${user}@${thisProcess().host}`;
}

/** Lock info for this process. */
export function newLockInfo(fields: {
  operation: string;
  path: string;
  info?: string;
  version?: string;
}): LockInfo {
  const me = thisProcess();
  return {
    ID: randomUUID(),
    Operation: fields.operation,
    Info: fields.info ?? '',
    Who: who(),
    Version: fields.version ?? '',
    Created: new Date().toISOString(),
    Path: fields.path,
    Pid: me.pid,
    Host: me.host,
    ...(me.started ? { Started: me.started } : {}),
  };
}

/** Create the lock file with `info`, complete or not at all. False when it exists already. */
export function tryCreateLockSync(path: string, info: LockInfo): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o644, flag: 'wx' });
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

export async function tryCreateLock(path: string, info: LockInfo): Promise<boolean> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await fsp.writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o644, flag: 'wx' });
    await fsp.link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Remove the lock at `path` if it still has exactly the content `text` (so a lock taken
 * meanwhile by someone else is not broken). */
export async function removeIfUnchanged(path: string, text: string): Promise<void> {
  const again = await fsp.readFile(path, 'utf8').catch(() => undefined);
  if (again === text) await fsp.rm(path, { force: true });
}

/** Remove the lock if its ID is still `id` (the owner's release, or force-unlock). */
export function removeLockSync(path: string, id: string): boolean {
  const now = readLockSync(path);
  if (now.kind === 'free' || now.id !== id) return false;
  rmSync(path, { force: true });
  return true;
}

/** May the next taker break this lock without asking? A dead holder on this host, or a file
 * that no live holder wrote (see the top). `olderThanMs`: also a lock of another host (whose
 * liveness cannot be checked) untouched for that long. */
export function breakable(state: LockState, olderThanMs?: number): boolean {
  if (state.kind === 'free') return false;
  if (state.kind === 'unreadable') return true;
  if (state.alive === false) return true;
  return (
    state.alive === undefined &&
    olderThanMs !== undefined &&
    Date.now() - state.mtimeMs > olderThanMs
  );
}

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock if it is still ours. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  operation: string;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Break locks that `breakable` allows (dead holder, unreadable file). */
  breakStale: boolean;
  /** With breakStale: also break another host's lock untouched for this long. */
  foreignStaleMs?: number;
  /** Thrown when the lock is still held at the deadline. */
  onTimeout: (path: string, holder: LockState) => Error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Take the lock at `path`, waiting (with backoff) up to `timeoutMs`. */
export async function acquireLockFile(path: string, opts: AcquireOptions): Promise<HeldLock> {
  const info = newLockInfo({ operation: opts.operation, path });
  const started = Date.now();
  let delay = 2;
  for (;;) {
    if (await tryCreateLock(path, info)) {
      return {
        path,
        info,
        release: async () => {
          const now = await readLock(path);
          if (now.kind === 'held' && now.id === info.ID) await fsp.rm(path, { force: true });
        },
      };
    }
    const holder = await readLock(path);
    if (holder.kind === 'free') continue;
    if (opts.breakStale && breakable(holder, opts.foreignStaleMs)) {
      await removeIfUnchanged(path, holder.text);
      continue;
    }
    if (Date.now() - started >= opts.timeoutMs) throw opts.onTimeout(path, holder);
    await sleep(Math.min(delay, Math.max(1, opts.timeoutMs - (Date.now() - started))));
    delay = Math.min(delay * 2, 100);
  }
}

/** Run `fn` holding the lock at `path`. */
export async function withLockFile<T>(
  path: string,
  opts: AcquireOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLockFile(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** A human description of who holds a lock, for messages. */
export function describeHolder(state: LockState): string {
  if (state.kind === 'free') return 'nobody';
  if (state.kind === 'unreadable')
    return `an unreadable lock file (${state.text.length} bytes), ID ${state.id}`;
  const i = state.info;
  const where =
    state.alive === undefined ? ` on ${i.Host ?? 'another host'}` : state.alive ? '' : ' (dead)';
  return `${i.Who} pid ${i.Pid ?? '?'}${where}, ${i.Operation} since ${i.Created}, ID ${i.ID}`;
}
