// `cmek provider install [--dir DIR]`: put the bundled Terraform provider plugin
// (dist/terraform-provider-cmek.js, the executable, with its companions beside it: the bundle
// and its code cache, src/terraform/layout.ts) where `terraform init` finds it offline:
// DIR/registry.terraform.io/cmek/cmek/VERSION/OS_ARCH/terraform-provider-cmek_vVERSION and the
// companions in the same directory, DIR defaulting to terraform's implied local mirror
// (~/.terraform.d/plugins). Each copy is atomic (a temp file renamed into place), the
// executable last. docs/cli/provider.md.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_VERSION, PROVIDER_NAME } from '../../engine/state.js';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { BUNDLE_FILE, COMPANION_FILES } from '../../terraform/layout.js';
import { writeFileAtomic } from '../../support/atomic.js';
import { fileErrorDiagnostic, requireDirectory } from '../output.js';
import { finish, runVerb } from './engine-cli.js';
import { platform } from './version.js';

/** terraform's implied local mirror directory for this user. */
export function defaultPluginDir(): string {
  if (process.platform === 'win32' && process.env.APPDATA)
    return join(process.env.APPDATA, 'terraform.d', 'plugins');
  return join(homedir(), '.terraform.d', 'plugins');
}

/** Where `terraform init` looks for version VERSION of the provider under a plugin directory. */
export function installedPath(dir: string, version = ENGINE_VERSION, os_arch = platform()): string {
  const exe = `terraform-provider-cmek_v${version}${os_arch.startsWith('windows') ? '.exe' : ''}`;
  return join(dir, ...PROVIDER_NAME.split('/'), version, os_arch, exe);
}

/** The bundled executable: beside dist/cli/ in a built package (from source: ../dist). */
export function bundledProvider(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const rel of [
    '../../terraform-provider-cmek.js',
    '../../../dist/terraform-provider-cmek.js',
  ]) {
    const p = resolve(here, rel);
    if (existsSync(p) && existsSync(join(dirname(p), BUNDLE_FILE))) return p;
  }
  return undefined;
}

export function register(program: Command): void {
  const provider = program
    .command('provider')
    .description('The Terraform provider plugin (terraform-provider-cmek)');
  provider
    .command('install')
    .description('Install terraform-provider-cmek where `terraform init` finds it offline')
    .option(
      '--dir <dir>',
      "plugin directory (default: ~/.terraform.d/plugins, terraform's implied local mirror)",
    )
    .action((flags: { dir?: string }) =>
      runVerb(async () => {
        const source = bundledProvider();
        if (!source) {
          throw new DiagnosticError(
            diag(
              'PROVIDER_MISSING',
              'This cmek installation has no terraform-provider-cmek executable',
              `dist/terraform-provider-cmek.js and dist/${BUNDLE_FILE} are made by \`npm run build\`; build the package (or install a released one) and run \`cmek provider install\` again.`,
            ),
          );
        }
        const dir = resolve(flags.dir ?? defaultPluginDir());
        await requireDirectory(dir, 'the plugin directory');
        const target = installedPath(dir);
        try {
          for (const name of COMPANION_FILES) {
            const from = join(dirname(source), name);
            const to = join(dirname(target), name);
            // The code cache is optional (a build without it still runs, slower); an older
            // one left from a previous install would only be ignored, but is removed.
            if (existsSync(from)) await writeFileAtomic(to, await readFile(from), { mode: 0o644 });
            else await rm(to, { force: true });
          }
          await writeFileAtomic(target, await readFile(source), { mode: 0o755 });
          await chmod(target, 0o755);
        } catch (e) {
          const d = fileErrorDiagnostic(e, `the plugin directory ${dir}`, dir);
          throw d ? new DiagnosticError(d) : e;
        }
        const init =
          flags.dir === undefined ? 'terraform init' : `terraform init -plugin-dir=${dir}`;
        process.stdout.write(
          `Installed terraform-provider-cmek v${ENGINE_VERSION} (${platform()}) as\n  ${target}\n\n` +
            `Use it with source "${PROVIDER_NAME}":\n\n` +
            `  terraform {\n    required_providers {\n      cmek = { source = "${PROVIDER_NAME}", version = "${ENGINE_VERSION}" }\n    }\n  }\n\n` +
            `then run \`${init}\`.\n`,
        );
        finish([]);
      }),
    );
}
