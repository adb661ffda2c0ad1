// Where the plaintext of `cmek data get` goes, and what is left of it when the read fails or the
// process is stopped (docs/threat-model.md, "Where plaintext can remain").
//
// -o FILE: the plaintext goes to `.FILE.PID.part` beside FILE (created 0600), renamed over FILE
// once the whole object has authenticated. The temp file is removed when the read fails and when
// the process gets SIGINT/SIGTERM; one left by a process that died (SIGKILL, power loss) is
// removed by the next `data get -o` into the same directory.
//
// stdout: the plaintext streams, one authenticated chunk at a time (objects may be larger than
// memory). When a later chunk fails authentication, the bytes already written were verified but
// the object is incomplete: the diagnostic says how many were written, so nothing claims that
// no plaintext was returned.
import { rmSync } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DiagnosticError } from '../../model/diagnostics.js';

const PART = /^\.(.+)\.(\d+)\.part$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove `.NAME.PID.part` files in `dir` whose process is gone. */
export async function sweepStaleParts(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = PART.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Stream `body` into `output` through a 0600 temp file; see the header comment. */
export async function writeObjectToFile(body: Readable, output: string): Promise<void> {
  const dir = dirname(output);
  await sweepStaleParts(dir);
  const tmp = join(dir, `.${basename(output)}.${process.pid}.part`);
  // Synchronous: a signal handler must finish before the process dies.
  const cleanup = () => rmSync(tmp, { force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Die of the signal as we would have without this handler, unless another part of the
    // program handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanup);
  try {
    const fh = await open(tmp, 'w', 0o600);
    await fh.chmod(0o600); // an existing stale file keeps its mode on open: force it
    await pipeline(body, fh.createWriteStream());
    await rename(tmp, output);
  } catch (e) {
    cleanup();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup);
  }
}

/** Stream `body` to stdout; on failure, say how much verified plaintext was already written. */
export async function writeObjectToStdout(body: Readable): Promise<void> {
  // Counted as the bytes are handed to stdout (which delivers everything it was given), not
  // upstream: what a failed pipeline drops on the way is not counted.
  let written = 0;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      process.stdout.write(chunk, cb);
    },
  });
  try {
    await pipeline(body, out);
  } catch (e) {
    if (e instanceof DiagnosticError && e.diagnostics.some((d) => d.code === 'CMEK_INTEGRITY')) {
      throw new DiagnosticError(
        e.diagnostics.map((d) =>
          d.code === 'CMEK_INTEGRITY'
            ? {
                ...d,
                detail:
                  `${d.detail}\n` +
                  (written === 0
                    ? 'Nothing was written to stdout.'
                    : `${written} bytes were already written to stdout: each was authenticated, ` +
                      'but the object is incomplete. Discard that output.'),
              }
            : d,
        ),
      );
    }
    throw e;
  }
}
