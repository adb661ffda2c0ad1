// terraform_plan_vs_cmek_plan: wall time of `terraform plan` with the cmek provider plugin on
// examples/terraform over that of `cmek plan` on examples/quickstart (the same key, policy and
// service), both applied first so the plans have nothing to change, medians of interleaved runs
// in the same process. Goal ≤ 2: terraform launches the plugin several times per command, so
// the plugin's start-up is most of the difference; the notes give the floor, terraform plan of a
// builtin-only configuration (no plugin launched at all), and CPU time (user + system of the
// command and every process it waited for: terraform and its plugin launches; less sensitive to
// other processes' load than wall time). Needs the terraform binary
// (CMEK_TERRAFORM, default /usr/local/bin/terraform; without it the row is skipped with a note
// on stderr) and a build (`npm run build`: the CLI and `cmek provider install`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { childrenCpu } from './cpu.js';
import { requireCmekBin, result, type BenchOptions, type BenchResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_RATIO = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The last timed() run's CPU milliseconds (the command and all it waited for). */
let lastCpu = NaN;

function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const cpu0 = childrenCpu();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  lastCpu = childrenCpu() - cpu0;
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
  const bin = requireCmekBin();
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
      console.error(
        `bench: terraform_plan_vs_cmek_plan skipped: \`cmek provider install\` failed (run \`npm run build\`): ${install.stderr.trim()}`,
      );
      return [];
    }
    const tfDir = join(dir, 'terraform');
    const cmekDir = join(dir, 'quickstart');
    cpSync(join(ROOT, 'examples', 'terraform', 'main.tf'), join(tfDir, 'main.tf'));
    cpSync(join(ROOT, 'examples', 'quickstart'), cmekDir, { recursive: true });
    timed(terraform, ['init', '-input=false', `-plugin-dir=${plugins}`, '-no-color'], tfDir, env);
    timed(terraform, ['apply', '-auto-approve', '-input=false', '-no-color'], tfDir, env);
    timed(process.execPath, [bin, 'apply', '-auto-approve', '-input=false'], cmekDir, env);
    // The floor: terraform plan of a configuration with only a builtin resource (no plugin to
    // launch), applied first like the others.
    const floorDir = join(dir, 'builtin');
    mkdirSync(floorDir);
    writeFileSync(join(floorDir, 'main.tf'), 'resource "terraform_data" "x" {\n  input = 1\n}\n');
    timed(terraform, ['init', '-input=false', '-no-color'], floorDir, env);
    timed(terraform, ['apply', '-auto-approve', '-input=false', '-no-color'], floorDir, env);
    const tfMs: number[] = [];
    const cmekMs: number[] = [];
    const floorMs: number[] = [];
    const tfCpu: number[] = [];
    const cmekCpu: number[] = [];
    const floorCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      tfMs.push(timed(terraform, ['plan', '-input=false', '-no-color'], tfDir, env));
      tfCpu.push(lastCpu);
      cmekMs.push(timed(process.execPath, [bin, 'plan', '-input=false'], cmekDir, env));
      cmekCpu.push(lastCpu);
      floorMs.push(timed(terraform, ['plan', '-input=false', '-no-color'], floorDir, env));
      floorCpu.push(lastCpu);
    }
    const t = median(tfMs);
    const c = median(cmekMs);
    // value: terraform plan; baseline: cmek plan; ratio = terraform / cmek (goal ≤ 2).
    return [
      result('terraform_plan_vs_cmek_plan', t, 'ms', c, {
        runs,
        goal_ratio: GOAL_RATIO,
        terraform_builtin_only_plan_ms: Math.round(median(floorMs)),
        terraform_min_ms: Math.round(Math.min(...tfMs)),
        cmek_min_ms: Math.round(Math.min(...cmekMs)),
        terraform_cpu_ms: Math.round(median(tfCpu)),
        cmek_cpu_ms: Math.round(median(cmekCpu)),
        terraform_builtin_only_cpu_ms: Math.round(median(floorCpu)),
        loadavg_1m: Number(loadavg()[0]!.toFixed(2)),
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
