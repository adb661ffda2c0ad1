// Running the real `terraform` binary against the cmek provider plugin in tests: an isolated
// HOME and CLI config (no network, no checkpoint), the plugin installed offline with
// `cmek provider install --dir` and found by `terraform init -plugin-dir`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, cliBin, cmek } from '../e2e/harness.js';

export const TERRAFORM = process.env.CMEK_TERRAFORM ?? '/usr/local/bin/terraform';

/** Whether the terraform binary is here; when not, say so loudly (the tests skip by name). */
export function haveTerraform(): boolean {
  const ok =
    existsSync(TERRAFORM) && spawnSync(TERRAFORM, ['version'], { encoding: 'utf8' }).status === 0;
  if (!ok)
    console.warn(
      `terraform not found at ${TERRAFORM}: the real-terraform tests of the cmek provider are SKIPPED ` +
        '(set CMEK_TERRAFORM to a terraform 1.x binary). The handler tests (test/terraform/provider.test.ts) still run.',
    );
  return ok;
}

const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const OS_ARCH = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

let pluginDir: string | undefined;

/** A -plugin-dir holding the provider, installed by `cmek provider install --dir`. The test
 * build of the CLI (test/e2e/harness.ts) is compiled by tsc only, so the bundled plugin
 * `npm run build` puts next to it is made here first (scripts/build-provider.ts, the same build). */
export async function installedPlugins(): Promise<string> {
  if (pluginDir) return pluginDir;
  const dir = mkdtempSync(join(tmpdir(), 'cmek-tf-plugins-'));
  const bundle = join(dirname(dirname(cliBin())), 'terraform-provider-cmek.js');
  if (!existsSync(bundle)) {
    const { buildProvider } = await import('../../scripts/build-provider.js');
    await buildProvider(undefined, bundle);
  }
  const r = cmek(dir, ['provider', 'install', '--dir', dir]);
  if (r.code !== 0) throw new Error(`cmek provider install failed:\n${r.stdout}\n${r.stderr}`);
  const exe = join(
    dir,
    'registry.terraform.io',
    'cmek',
    'cmek',
    VERSION,
    OS_ARCH,
    `terraform-provider-cmek_v${VERSION}`,
  );
  if (!existsSync(exe)) throw new Error(`cmek provider install did not place ${exe}`);
  pluginDir = dir;
  return dir;
}

let home: string | undefined;

function env(): NodeJS.ProcessEnv {
  home ??= mkdtempSync(join(tmpdir(), 'cmek-tf-home-'));
  return {
    ...process.env,
    HOME: home,
    TF_CLI_CONFIG_FILE: '/dev/null',
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    NO_COLOR: '1',
  };
}

export interface TfResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr. */
  out: string;
}

/** `terraform ARGS` in `cwd` (-no-color added where terraform takes it), with `extraEnv` on
 * top of the isolated environment. */
export function tf(
  cwd: string,
  args: string[],
  timeout = 240_000,
  extraEnv: NodeJS.ProcessEnv = {},
): TfResult {
  const noColor = ['init', 'plan', 'apply', 'destroy', 'import', 'show', 'refresh'].includes(
    args[0]!,
  );
  const r = spawnSync(TERRAFORM, [...args, ...(noColor ? ['-no-color'] : [])], {
    cwd,
    env: { ...env(), ...extraEnv },
    encoding: 'utf8',
    timeout,
  });
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  return { code: r.status ?? -1, stdout, stderr, out: stdout + stderr };
}

/** `terraform ARGS` started, not waited for (kill -9 tests). */
export function tfSpawn(cwd: string, args: string[]): ChildProcess {
  return spawn(TERRAFORM, [...args, '-no-color'], {
    cwd,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `terraform init` offline from the installed plugin. */
export async function tfInit(cwd: string): Promise<TfResult> {
  return tf(cwd, ['init', '-input=false', `-plugin-dir=${await installedPlugins()}`]);
}

/** The 1-based line of the first line of `file` containing `text`. */
export function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${file}`);
  return i + 1;
}

export const REQUIRED_PROVIDERS = `terraform {
  required_providers {
    cmek = { source = "registry.terraform.io/cmek/cmek" }
  }
}
`;
