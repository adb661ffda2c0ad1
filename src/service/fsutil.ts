// Small filesystem primitives the control plane and the object store are built on. Several
// processes (a `cmek apply`, a `cmek data put`, the poller of `cmek server`) may touch the same
// data directory at once, so every record is replaced atomically and every read-modify-write
// runs under a lock file. Written by hand because they are a few lines over node:fs and the
// lock semantics (stale-holder detection by pid) are specific to this product.
import { randomBytes } from 'node:crypto';
import { constants as FS, promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { diag, DiagnosticError } from '../model/diagnostics.js';

/** Unique temp name in the same directory as `path`, so the final rename stays on one
 * filesystem (rename is atomic only within a filesystem). */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/** fsync a directory so a rename inside it survives a crash. Some platforms refuse to open a
 * directory for fsync; durability there is best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // EISDIR/EPERM on platforms without directory fsync: nothing more we can do.
  } finally {
    await fh?.close();
  }
}

/** Write a whole file atomically: temp file, fsync, rename over the target, fsync the dir.
 * Readers see either the old or the new content, never a torn one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

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

interface LockInfo {
  pid: number;
  host: string;
  operation: string;
  time: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  /** What the holder is doing, recorded in the lock file for humans. */
  operation?: string;
  /** Give up after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Run `fn` while holding an exclusive lock file (`O_CREAT|O_EXCL`). A lock left behind by a
 * dead process on this host is broken; a live holder is waited for, then `timeoutMs` → error. */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    operation: opts.operation ?? 'update',
    time: new Date().toISOString(),
  };
  await fsp.mkdir(dirname(lockPath), { recursive: true });
  const started = Date.now();
  let delay = 2;
  for (;;) {
    try {
      const fh = await fsp.open(lockPath, FS.O_CREAT | FS.O_EXCL | FS.O_WRONLY, 0o600);
      try {
        await fh.writeFile(JSON.stringify(info));
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readJsonIfExists<LockInfo>(lockPath).catch(() => undefined);
    if (holder && holder.host === info.host && !processAlive(holder.pid)) {
      // The holder died without releasing: its half-done work was never renamed into place
      // (all writes are temp+rename), so breaking the lock is safe.
      await fsp.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out waiting for lock ${lockPath}` +
          (holder ? ` held by pid ${holder.pid} (${holder.operation} since ${holder.time})` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockPath, { force: true });
  }
}

/** Remove temp files (from tempPathFor) left in `dir` by processes of this host that died
 * mid-write (kill -9, power loss). Files of live writers are left alone. Returns how many. */
export async function sweepTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const f of names) {
    const m = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(f);
    if (!m || processAlive(Number(m[1]))) continue;
    await fsp.rm(join(dir, f), { force: true });
    n++;
  }
  return n;
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
