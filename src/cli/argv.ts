// Terraform spells flags with one dash (`-auto-approve`, `-chdir=DIR`, `-var K=V`); commander
// wants two. We accept both: a single-dash word of two or more letters becomes its double-dash
// form. Short flags we define (`-o FILE`) are single letters and stay as they are.
//
// The global flags every verb accepts are taken out here, wherever they appear before `--`:
// `-chdir=DIR`, `-no-color` and `-input=BOOL` (docs/cli/global-flags.md).

export interface NormalizedArgv {
  args: string[];
  chdir?: string;
}

/** Settings of the running command taken from the global flags (and the environment). */
export interface CliGlobals {
  /** False with `-input=false` or TF_INPUT=0/false: cmek must not ask a question. */
  input: boolean;
  /** True with `-no-color` or NO_COLOR set. */
  noColor: boolean;
  /** A bad value of a global flag, reported as a USAGE diagnostic before the verb runs. */
  usageError?: string;
}

export const cliGlobals: CliGlobals = {
  input: !/^(0|false)$/i.test(process.env.TF_INPUT ?? ''),
  noColor: 'NO_COLOR' in process.env,
};

// `-no-color` must be seen before picocolors decides (it reads NO_COLOR when first imported, and
// only knows the two-dash spelling): main.ts imports this module first, so decide here.
if (process.argv.slice(2).some((a) => a === '-no-color' || a === '--no-color')) {
  process.env.NO_COLOR = '1';
  cliGlobals.noColor = true;
}

/** The spelling the user typed for each normalized flag (`--auto-aprove` → `-auto-aprove`), so
 * errors echo it back. */
const typed = new Map<string, string>();

/** How the user spelled `flag` (a normalized `--name`), for error messages. */
export function typedSpelling(flag: string): string {
  return typed.get(flag) ?? (flag.startsWith('--') ? flag.slice(1) : flag);
}

function boolFlag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  cliGlobals.usageError = `Invalid value for -${name}: "${value}"`;
  return fallback;
}

export function normalizeArgv(argv: readonly string[]): NormalizedArgv {
  const out: string[] = [];
  let chdir: string | undefined;
  let passthrough = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (passthrough) {
      out.push(a);
      continue;
    }
    if (a === '--') {
      passthrough = true;
      out.push(a);
      continue;
    }
    const m = /^-{1,2}([a-z][a-z0-9-]+)(=.*)?$/i.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const name = m[1]!;
    const value = m[2]?.slice(1);
    if (name === 'chdir') {
      chdir = value ?? argv[++i];
      continue;
    }
    if (name === 'no-color') {
      cliGlobals.noColor = true;
      continue;
    }
    if (name === 'input') {
      cliGlobals.input = boolFlag('input', value, cliGlobals.input);
      continue;
    }
    typed.set(`--${name}`, a.replace(/=.*$/, ''));
    out.push(value === undefined ? `--${name}` : `--${name}=${value}`);
  }
  return chdir === undefined ? { args: out } : { args: out, chdir };
}
