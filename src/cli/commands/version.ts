// `cmek version [-json]`: the version of cmek and the platform, in the shape of
// `terraform version` (`cmek --version` prints the bare number).
import type { Command } from 'commander';
import { ENGINE_VERSION } from '../../engine/version.js';
import { writeJson } from './engine-cli.js';

/** Terraform's platform names: linux_amd64, darwin_arm64, windows_386. */
export function platform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return `${os}_${arch[process.arch] ?? process.arch}`;
}

export function register(program: Command): void {
  program
    .command('version')
    .description('Show the version of cmek and the platform')
    .option('--json', 'print it as JSON (the shape of terraform version -json)')
    .action((flags: { json?: boolean }) => {
      if (flags.json) {
        // cmek is not terraform and installs no providers: terraform_version is left out and
        // provider_selections is always empty (the cmek provider is built in).
        writeJson({ cmek_version: ENGINE_VERSION, platform: platform(), provider_selections: {} });
      } else {
        process.stdout.write(`cmek v${ENGINE_VERSION}\non ${platform()}\n`);
      }
      process.exitCode = 0;
    });
}
