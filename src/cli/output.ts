// Printing helpers shared by every verb: diagnostics to stderr (or into -json output), and the
// mapping of outcomes to exit codes (0 ok, 1 error, 2 changes with -detailed-exitcode).
import pc from 'picocolors';
import {
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

/** Turn a thrown error at the CLI boundary into printed diagnostics and exit code 1. Bugs (plain
 * errors) are printed with their message; stack traces only with CMEK_DEBUG=1. */
export function reportError(e: unknown): number {
  if (e instanceof DiagnosticError) {
    printDiagnostics(e.diagnostics);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`${pc.red(pc.bold('Error:'))} ${err.message}\n`);
  if (process.env.CMEK_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  return 1;
}
