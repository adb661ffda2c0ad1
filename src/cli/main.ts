#!/usr/bin/env node
// Entry point of the `cmek` binary: normalize terraform-style flags, apply -chdir, run the verb,
// and turn its result into an exit code. Verbs set process.exitCode; they never call exit().
import { CommanderError } from 'commander';
import { normalizeArgv } from './argv.js';
import { reportError } from './output.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  const { args, chdir } = normalizeArgv(process.argv.slice(2));
  if (chdir !== undefined) {
    try {
      process.chdir(chdir);
    } catch (e) {
      process.exitCode = reportError(new Error(`-chdir=${chdir}: ${(e as Error).message}`));
      return;
    }
  }
  const program = buildProgram();
  try {
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

await main();
