// terraform_plan_vs_cmek_plan: wall time of `terraform plan` with the cmek provider plugin on
// examples/terraform over that of `cmek plan` on examples/quickstart (the same key, policy and
// service), both applied first so the plans have nothing to change, medians of interleaved runs
// in the same process. Goal ≤ 2: terraform launches the plugin several times per command, so
// the plugin's start-up is most of the difference. Needs the terraform binary
// (CMEK_TERRAFORM, default /usr/local/bin/terraform; without it the row is skipped with a note
// on stderr) and a build (`npm run build`: the CLI and `cmek provider install`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { result, type BenchOptions, type BenchResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_RATIO = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return ms;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const terraform = process.env.CMEK_TERRAFORM ?? '/usr/local/bin/terraform';
  if (!existsSync(terraform)) {
    console.error(
      `bench: terraform_plan_vs_cmek_plan skipped: no terraform binary at ${terraform}`,
    );
    return [];
  }
  const bin = resolve(process.env.CMEK_BENCH_BIN ?? join(ROOT, 'dist', 'cli', 'main.js'));
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`npm run build\` first`);
  const runs = opts.quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'cmek-bench-tf-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: join(dir, 'home'),
      XDG_DATA_HOME: join(dir, 'xdg'),
      TF_CLI_CONFIG_FILE: '/dev/null',
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      NO_COLOR: '1',
    };
    delete env.NODE_OPTIONS;
    const plugins = join(dir, 'plugins');
    const install = spawnSync(process.execPath, [bin, 'provider', 'install', '--dir', plugins], {
      env,
      encoding: 'utf8',
    });
    if (install.status !== 0) {
      // A build without `cmek provider install`: the same bundle, placed as install would.
      console.error(
        `bench: \`cmek provider install\` failed (${install.stderr.trim().split('\n')[0]}); ` +
          'bundling the plugin with scripts/build-provider.ts instead',
      );
      const version = (
        JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
      ).version;
      const arch = process.arch === 'x64' ? 'amd64' : process.arch;
      const target = join(
        plugins,
        'registry.terraform.io',
        'cmek',
        'cmek',
        version,
        `${process.platform}_${arch}`,
      );
      mkdirSync(target, { recursive: true });
      const { buildProvider } = await import('../scripts/build-provider.js');
      await buildProvider(undefined, join(target, `terraform-provider-cmek_v${version}`));
    }
    const tfDir = join(dir, 'terraform');
    const cmekDir = join(dir, 'quickstart');
    cpSync(join(ROOT, 'examples', 'terraform', 'main.tf'), join(tfDir, 'main.tf'));
    cpSync(join(ROOT, 'examples', 'quickstart'), cmekDir, { recursive: true });
    timed(terraform, ['init', '-input=false', `-plugin-dir=${plugins}`, '-no-color'], tfDir, env);
    timed(terraform, ['apply', '-auto-approve', '-input=false', '-no-color'], tfDir, env);
    timed(process.execPath, [bin, 'apply', '-auto-approve', '-input=false'], cmekDir, env);
    const tfMs: number[] = [];
    const cmekMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      tfMs.push(timed(terraform, ['plan', '-input=false', '-no-color'], tfDir, env));
      cmekMs.push(timed(process.execPath, [bin, 'plan', '-input=false'], cmekDir, env));
    }
    const t = median(tfMs);
    const c = median(cmekMs);
    // value: terraform plan; baseline: cmek plan; ratio = terraform / cmek (goal ≤ 2).
    return [result('terraform_plan_vs_cmek_plan', t, 'ms', c, { runs, goal_ratio: GOAL_RATIO })];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
