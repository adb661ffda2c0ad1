// Shared by the terraform-style verbs (plan, apply, destroy, ...): option parsing helpers, the
// confirmation prompt, apply progress lines and the exit-code rules. Verbs only parse and
// print; the engine (src/engine) does the work.

import { createInterface } from 'node:readline';
import pc from 'picocolors';
import { Option, type Command } from 'commander';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import type { ApplyEvent, ApplyResult } from '../../engine/apply.js';
import { parseDuration } from '../../engine/lock.js';
import { formatValue } from '../../engine/render.js';
import type { StateFile } from '../../engine/state.js';
import { cliGlobals } from '../argv.js';
import { printDiagnostics } from '../output.js';

/** `-var K=V`, repeatable. */
export function collectVar(value: string, prev: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        `Invalid -var option "${value}"`,
        'Write it as -var NAME=VALUE (e.g. -var region=eu-west-1).',
      ),
    );
  }
  return { ...prev, [value.slice(0, at).trim()]: value.slice(at + 1) };
}

export function parseBool(flag: string) {
  return (value: string): boolean => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new DiagnosticError(
      diag(
        'USAGE',
        `Invalid value for -${flag}: "${value}"`,
        `Use -${flag}=true or -${flag}=false.`,
      ),
    );
  };
}

export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new DiagnosticError(
        diag(
          'USAGE',
          `Invalid value for -${flag}: "${value}"`,
          `-${flag} takes a whole number >= 1.`,
        ),
      );
    }
    return n;
  };
}

export function lockTimeoutMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new DiagnosticError(
      diag('USAGE', `Invalid -lock-timeout "${text}"`, 'Use a duration such as 0s, 30s, 5m.'),
    );
  }
  return ms;
}

/** Options every state-touching verb takes. */
export function addLockOptions(cmd: Command): Command {
  return cmd.option('--lock-timeout <duration>', 'wait this long for a held state lock (e.g. 30s)');
}

/** `-lock=false`: do not take the state lock (plan, apply, destroy, refresh). */
export function addLockFlag(cmd: Command, what: string): Command {
  return cmd.option(`--lock <bool>`, what, parseBool('lock'), true);
}

const collectList = (v: string, prev: string[]) => [...prev, v];

/** `-target=ADDR` (repeatable): plan only these resources and what they depend on. */
export function addTargetOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--target <address>',
      'plan only this resource (TYPE.NAME or TYPE.NAME[N]) and its dependencies (repeatable)',
    )
      .argParser(collectList)
      .default([] as string[], 'none'),
  );
}

/** `-replace=ADDR` (repeatable) and `-refresh-only`: the plan-mode flags of plan and apply. */
export function addPlanModeOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--replace <address>',
        'plan this instance for replacement even if nothing changed (repeatable)',
      )
        .argParser(collectList)
        .default([] as string[], 'none'),
    )
    .option(
      '--refresh-only',
      'only update the state to match the real objects (drift); no resource changes',
    );
}

/** The flags `apply` and `destroy` share: confirmation, parallelism, refresh, targets,
 * variables, lock. */
export function addApplyOptions(cmd: Command): Command {
  addTargetOption(cmd);
  addLockFlag(cmd, 'take the state lock (-lock=false skips it: only when nothing else can run)');
  cmd
    .option('--auto-approve', 'do not ask for confirmation')
    .option(
      '--parallelism <n>',
      'resource operations in flight at once (default 10)',
      parsePositiveInt('parallelism'),
    )
    .option(
      '--refresh <bool>',
      'read the real objects before planning',
      parseBool('refresh'),
      true,
    );
  return addLockOptions(addVarOptions(cmd));
}

export function addVarOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--var <NAME=VALUE>', 'set a variable (repeatable)')
        .argParser(collectVar)
        .default({} as Record<string, string>, 'none'),
    )
    .addOption(
      new Option('--var-file <file>', 'read variables from a .tfvars file (repeatable)')
        .argParser((v: string, prev: string[]) => [...prev, v])
        .default([] as string[], 'none; terraform.tfvars and *.auto.tfvars are always read'),
    );
}

/** Ask for "yes". No TTY → an error telling to pass the flag instead (a pipeline must not hang). */
export async function confirm(question: string, detail: string, flag: string): Promise<boolean> {
  if (!cliGlobals.input) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        'Approval needed but -input=false',
        `cmek needs an answer to "${question}" and -input=false (or TF_INPUT=false) forbids asking. Pass ${flag} to approve non-interactively.`,
      ),
    );
  }
  if (!process.stdin.isTTY) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        'No terminal to ask for approval',
        `cmek needs an answer to "${question}" but stdin is not a terminal. Pass ${flag} to approve non-interactively.`,
      ),
    );
  }
  process.stdout.write(
    `\n${pc.bold(question)}\n  ${detail}\n  Only 'yes' will be accepted to approve.\n\n  ${pc.bold('Enter a value:')} `,
  );
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', (l) => resolve(l));
    rl.once('close', () => resolve(''));
  });
  rl.close();
  process.stdout.write('\n');
  return answer.trim() === 'yes';
}

const STARTING: Record<string, string> = {
  create: 'Creating...',
  update: 'Modifying...',
  delete: 'Destroying...',
};
const DONE: Record<string, string> = {
  create: 'Creation complete',
  update: 'Modifications complete',
  delete: 'Destruction complete',
};

/** Terraform's progress lines (`cmek_kms_key.k: Creating...`). */
export function progressLine(e: ApplyEvent): string | undefined {
  const who =
    e.type !== 'error' && e.deposed ? `${e.address} (deposed object ${e.deposed})` : e.address;
  if (e.type === 'start') return `${pc.bold(who)}: ${STARTING[e.op]}${e.id ? ` [id=${e.id}]` : ''}`;
  if (e.type === 'complete') {
    const secs = Math.floor(e.elapsedMs / 1000);
    return `${pc.bold(who)}: ${DONE[e.op]} after ${secs}s${e.id ? ` [id=${e.id}]` : ''}`;
  }
  return undefined;
}

export function printProgress(e: ApplyEvent): void {
  const line = progressLine(e);
  if (line) process.stdout.write(`${line}\n`);
}

/** `imported`: objects import blocks brought in (terraform prints "N imported" first then). */
export function printApplySummary(r: ApplyResult, destroy: boolean, imported = 0): void {
  if (destroy) {
    process.stdout.write(
      `\n${pc.green(pc.bold(`Destroy complete! Resources: ${r.destroyed} destroyed.`))}\n`,
    );
  } else {
    process.stdout.write(
      `\n${pc.green(pc.bold(`Apply complete! Resources: ${imported ? `${imported} imported, ` : ''}${r.added} added, ${r.changed} changed, ${r.destroyed} destroyed.`))}\n`,
    );
    printOutputs(r.state);
  }
}

export function printOutputs(state: StateFile | null): void {
  const outs = Object.entries(state?.outputs ?? {});
  if (!outs.length) return;
  process.stdout.write(`\n${pc.green(pc.bold('Outputs:'))}\n\n`);
  const w = Math.max(...outs.map(([n]) => n.length));
  for (const [n, o] of outs)
    process.stdout.write(
      `${n.padEnd(w)} = ${o.sensitive ? '<sensitive>' : formatValue(o.value)}\n`,
    );
}

/** Print diagnostics (stderr) and set the exit code: 1 on any error, else `ok`. */
export function finish(diags: readonly Diagnostic[], ok = 0): void {
  if (diags.length) printDiagnostics(diags);
  process.exitCode = diags.some((d) => d.severity === 'error') ? 1 : ok;
}

/** Run a verb body, turning DiagnosticErrors (usage, lock) into printed diagnostics + exit 1. */
export async function runVerb(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof DiagnosticError) {
      finish(e.diagnostics);
      return;
    }
    throw e;
  }
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Ctrl-C during an apply: the first stops starting new operations (those in flight finish and
 * are written to the state, as terraform does); a second one exits at once — safe too, since
 * every state write is atomic, but the operation in flight is then not recorded. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) {
      process.stderr.write('\nTwo interrupts received. Exiting immediately.\n');
      process.exit(130);
    }
    process.stderr.write(
      '\nInterrupt received. Stopping after the operations in flight; the state will record them...\n',
    );
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
