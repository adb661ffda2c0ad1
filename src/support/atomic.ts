// Whole-file replacement that readers never see torn: write a temp file in the same directory
// (rename is atomic only within one filesystem), fsync it, rename it over the target, fsync the
// directory. One implementation for the state file, the plan file, the service records and the
// local KMS's keystore; sync and async forms because the engine writes state synchronously.
//
// Temp names carry the writer's pid and start time (see process.ts), so a temp file left by a
// writer that was killed can be told from one being written right now and swept.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  promises as fsp,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive, thisProcess } from './process.js';

/** `<pid>-<start>.<random>.tmp`: what sweepTempFiles recognises. */
export function tempSuffix(): string {
  const me = thisProcess();
  return `${me.pid}-${me.started ?? '0'}.${randomBytes(6).toString('hex')}.tmp`;
}

/** A unique temp name beside `path` (same directory, so a rename onto `path` is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${tempSuffix()}`);
}

// `-<start>` is absent in names written before the start time was recorded.
const TEMP = /\.(\d+)(?:-(\d+))?\.[0-9a-f]{12}\.tmp$/;

/** The writer of a temp name made by tempPathFor / tempSuffix, if it is one. */
export function tempOwner(name: string): { pid: number; started?: string } | undefined {
  const m = TEMP.exec(name.startsWith('.') ? name : `.${name}`);
  if (!m) return undefined;
  return { pid: Number(m[1]), ...(m[2] && m[2] !== '0' ? { started: m[2] } : {}) };
}

/** Remove the temp files in `dir` whose writer (on this host) is no longer running: what a
 * killed or crashed writer left. Files of live writers are left alone. One readdir: keep such
 * temps in a directory of their own to make this cheap. Returns how many were removed. */
export async function sweepTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  const host = thisProcess().host;
  let n = 0;
  for (const f of names) {
    const owner = tempOwner(f);
    if (!owner || processAlive({ ...owner, host }) !== false) continue;
    await fsp.rm(join(dir, f), { force: true });
    n++;
  }
  return n;
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

export function fsyncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* directory fsync is not supported everywhere */
  }
}

export interface AtomicOptions {
  /** File mode of a new file (default 0600: records and state may be sensitive). */
  mode?: number;
  /** Create the parent directory first (default true). */
  mkdir?: boolean;
}

/** Replace `path` with `data` atomically (see the top of this file). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicOptions = {},
): Promise<void> {
  if (opts.mkdir !== false) await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** writeFileAtomic for callers that must not yield (the engine's state writes). */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  opts: Pick<AtomicOptions, 'mode'> = {},
): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // No temp file left behind, and the error names the file the caller asked for.
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.path !== undefined) err.path = path;
    throw err;
  }
  fsyncDirSync(dirname(path));
}
