// Printing helpers shared by every verb: diagnostics to stderr (or into -json output), the
// mapping of outcomes to exit codes (0 ok, 1 error, 2 changes with -detailed-exitcode), and the
// last line of defence that turns any error into a coded diagnostic (docs/cli/errors.md).
import pc from 'picocolors';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  diag,
  DiagnosticError,
  formatDiagnostic,
  hasErrors,
  type Diagnostic,
} from '../model/diagnostics.js';

export function printDiagnostics(diags: readonly Diagnostic[], stream = process.stderr): void {
  for (const d of diags) {
    const text = formatDiagnostic(d);
    const [head, ...rest] = text.split('\n');
    const colour = d.severity === 'error' ? pc.red : pc.yellow;
    stream.write(`\n${colour(pc.bold(head ?? ''))}\n${rest.join('\n')}\n`);
  }
}

/** Exit with 1 if any error diagnostic, else `code`. */
export function exitFor(diags: readonly Diagnostic[], code = 0): number {
  return hasErrors(diags) ? 1 : code;
}

/** The exit status when stdout is a closed pipe (`cmek data get … | head`): 128 + SIGPIPE, what
 * a shell reports for `cat` in the same place; nothing is printed (docs/cli/errors.md). */
export const EXIT_PIPE = 141;
/** The exit status after Ctrl-C (SIGINT) or SIGTERM: 128 + SIGINT, as a shell reports it. */
export const EXIT_INTERRUPTED = 130;

type ErrnoError = NodeJS.ErrnoException & { dest?: string };

const OPERATION: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  scandir: 'list',
  mkdir: 'create the directory',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  stat: 'find',
  lstat: 'find',
  chdir: 'change directory to',
  uv_cwd: 'find the working directory',
};

const WHY: Record<string, [string, string]> = {
  ENOENT: [
    'it does not exist',
    'Check the path; create the file or directory, or name one that exists.',
  ],
  EISDIR: [
    'it is a directory, not a file',
    'Name a file (for example a file inside that directory).',
  ],
  ENOTDIR: [
    'it (or a part of its path) is a file, not a directory',
    'Check the path: name a directory, and every part of the path before it must be one too.',
  ],
  EACCES: [
    'permission denied',
    'Check its permissions and owner (`ls -ld PATH`), or run as a user who may use it.',
  ],
  EPERM: ['the operation is not permitted', 'Check its permissions and owner (`ls -ld PATH`).'],
  EEXIST: ['it already exists', 'Remove it or name another path.'],
  ENOSPC: ['no space left on the device', 'Free some space and run the command again.'],
  EROFS: ['the file system is read-only', 'Name a path on a writable file system.'],
  EMFILE: ['too many open files', 'Raise the limit (`ulimit -n`) and run the command again.'],
  ENAMETOOLONG: ['the name is too long', 'Use a shorter path.'],
  ELOOP: ['too many symbolic links', 'Check the symbolic links along the path.'],
};

/** A Node file-system error (ENOENT, EISDIR, EACCES, …) as an IO_ERROR diagnostic naming the
 * file (`file` when the error does not say it) and the remedy; undefined for any other error. */
export function fileErrorDiagnostic(
  e: unknown,
  what?: string,
  file?: string,
): Diagnostic | undefined {
  const err = e as ErrnoError | undefined;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string') return undefined;
  const why = WHY[err.code];
  if (!why) return undefined;
  // chdir reports the working directory as `path` and the target as `dest`.
  const path = (err.syscall === 'chdir' ? err.dest : err.path) ?? file ?? '';
  const op = (err.syscall && OPERATION[err.syscall]) ?? 'use';
  const subject = what ?? (path ? quote(path) : 'a file');
  const where = path && !isAbsolute(path) ? ` (${resolve(path)})` : '';
  return diag(
    'IO_ERROR',
    `Cannot ${op} ${subject}: ${why[0]}`,
    `${path ? `${path}${where}: ` : ''}${err.code}.\n${why[1].replace('PATH', path || 'PATH')}`,
    path ? { file: path } : {},
  );
}

/** Run `read` (which reads `file`); a file-system error becomes an IO_ERROR naming the file. */
export async function readingFile<T>(
  file: string,
  what: string,
  read: () => T | Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const d = fileErrorDiagnostic(e, `${what} ${file}`, file);
    throw d ? new DiagnosticError(d) : e;
  }
}

/** A directory the verb will create on demand must not be a file: say so before starting. */
export async function requireDirectory(dir: string, what: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new DiagnosticError(
      fileErrorDiagnostic(
        Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR', syscall: 'open', path: dir }),
        `${what} ${dir}`,
      )!,
    );
  }
}

function quote(path: string): string {
  return /[\s"']/.test(path) ? JSON.stringify(path) : path;
}

function isPipeError(e: unknown): boolean {
  return (e as ErrnoError | undefined)?.code === 'EPIPE';
}

/** Turn a thrown error at the CLI boundary into printed diagnostics and an exit code: 1, or
 * EXIT_PIPE (silently) when stdout was closed under us. File-system errors become IO_ERROR;
 * anything else is a bug, printed as INTERNAL with its message; the stack trace only with
 * CMEK_DEBUG=1. Never more than a diagnostic reaches the user. */
export function reportError(e: unknown): number {
  if (isPipeError(e)) return EXIT_PIPE;
  if (e instanceof DiagnosticError) {
    printDiagnostics(e.diagnostics);
    return 1;
  }
  const file = fileErrorDiagnostic(e);
  if (file) {
    printDiagnostics([file]);
    debugStack(e);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  printDiagnostics([
    diag(
      'INTERNAL',
      `Unexpected error: ${firstLine(err.message)}`,
      'This is a bug in cmek: please report it with the command you ran. ' +
        (process.env.CMEK_DEBUG
          ? 'The stack trace follows.'
          : 'CMEK_DEBUG=1 shows the stack trace.'),
    ),
  ]);
  debugStack(err);
  return 1;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function debugStack(e: unknown): void {
  if (process.env.CMEK_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
}

/** Run `work` so that Ctrl-C (SIGINT) or SIGTERM stops it cleanly: `stop` is called (it should
 * destroy the streams in flight, so their owners remove their temp files); when `work` then
 * fails, `message` (what was and was not done) is printed on one line and the exit status is
 * EXIT_INTERRUPTED. Work that completes anyway completes normally. A second signal exits at once.
 * Returns undefined when interrupted. */
export async function interruptible<T>(
  stop: () => void,
  message: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  let interrupted = false;
  const on = () => {
    if (interrupted) {
      process.stderr.write(`\n${message}\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    stop();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    return await work();
  } catch (e) {
    if (!interrupted) throw e;
    process.stderr.write(`\n${message}\n`);
    process.exitCode = EXIT_INTERRUPTED;
    return undefined;
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  }
}
