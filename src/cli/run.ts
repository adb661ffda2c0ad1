// The `cmek` binary past its entry (src/cli/main.cts): normalize terraform-style flags, apply
// -chdir, run the verb, and turn its result into an exit code. Verbs set process.exitCode; they
// never call exit(). Whatever goes wrong, the user sees a coded diagnostic, never a stack trace
// (CMEK_DEBUG=1 adds it); a closed stdout (`cmek … | head`) ends the process quietly
// (docs/cli/errors.md).
import { CommanderError } from 'commander';
import { normalizeArgv } from './argv.js';
import { EXIT_PIPE, reportError } from './output.js';
import { buildProgram } from './program.js';

/** An error that escaped every await (a stream's 'error' event with no listener, a rejected
 * promise nobody awaited): report it once and stop, as Node would, but as a diagnostic. */
function fatal(e: unknown): void {
  process.exit(reportError(e));
}

function onOutputError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(EXIT_PIPE);
  fatal(e);
}

/** Run the command line `argv` (the arguments after the binary). */
export async function main(argv: readonly string[]): Promise<void> {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    // Nowhere left to report to.
    process.exit(e.code === 'EPIPE' ? EXIT_PIPE : 1);
  });
  const { args, chdir } = normalizeArgv(argv);
  if (chdir !== undefined) {
    try {
      process.chdir(chdir);
    } catch (e) {
      process.exitCode = reportError(e);
      return;
    }
  }
  try {
    const program = await buildProgram(args);
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : 1;
      return;
    }
    process.exitCode = reportError(e);
  }
}
