// cli_version_ms and cli_plan_quickstart_ms (docs/architecture.md, "Start-up"): wall-clock
// milliseconds of `cmek --version` and of `cmek plan` on examples/quickstart with its state
// present (nothing to change), the median of N spawns of the built binary (dist/cli/main.cjs
// with the bundled program in dist/bundle: run `npm run build` first; CMEK_BENCH_BIN=path/to/
// main.cjs picks another build). The baseline is the goal on an idle 2-core machine. Notes add
// the child's CPU time (user + system, which load from other processes inflates far less than
// wall time), `node -e 0` spawned alternately (the floor), the number of ES module files each
// command loads, and the load average, since on a shared machine wall time is mostly waiting.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { requireCmekBin, result, type BenchOptions, type BenchResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_VERSION_MS = 120;
const GOAL_PLAN_MS = 350;

/** Preloaded into the child: on exit, appends its own CPU milliseconds to CMEK_BENCH_CPU. */
const CPU_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { appendFileSync } from 'node:fs';" +
      "process.on('exit', () => { const u = process.cpuUsage();" +
      " appendFileSync(process.env.CMEK_BENCH_CPU, ((u.user + u.system) / 1000) + '\\n'); });",
  );
const LOAD_HOOK = pathToFileURL(join(ROOT, 'test', 'support', 'record-loads.mjs')).href;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function spawnCmek(bin: string, cwd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(`cmek ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return ms;
}

function sample(bin: string, cwd: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const file = join(env.CMEK_BENCH_DIR!, 'cpu.txt');
  rmSync(file, { force: true });
  // Wall time from a spawn without the CPU hook: preloading it costs the child tens of
  // milliseconds (the ES module loader starts early), which `cmek` itself does not pay.
  const wallMs = spawnCmek(bin, cwd, args, env);
  spawnCmek(bin, cwd, args, { ...env, CMEK_BENCH_CPU: file, NODE_OPTIONS: `--import=${CPU_HOOK}` });
  return { wallMs, cpuMs: Number(readFileSync(file, 'utf8').trim()) };
}

function nodeBareMs(): number {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}

/** How many ES modules the command loads (test/support/record-loads.mjs). */
function modulesLoaded(bin: string, cwd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const file = join(env.CMEK_BENCH_DIR!, 'loads.txt');
  rmSync(file, { force: true });
  spawnCmek(bin, cwd, args, { ...env, CMEK_LOAD_LOG: file, NODE_OPTIONS: `--import=${LOAD_HOOK}` });
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

/** Median wall milliseconds of `runs` spawns, with the notes described at the top. */
function bench(
  runs: number,
  bin: string,
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { ms: number; notes: NonNullable<BenchResult['notes']> } {
  sample(bin, cwd, args, env); // warm the file cache
  const samples: Sample[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push(sample(bin, cwd, args, env));
    bare.push(nodeBareMs());
  }
  return {
    ms: median(samples.map((s) => s.wallMs)),
    notes: {
      runs,
      // `node -e 0` spawned alternately: the floor any Node CLI pays on this machine now.
      node_ms_median: Math.round(median(bare)),
      cpu_ms_median: Math.round(median(samples.map((s) => s.cpuMs))),
      wall_ms_min: Math.round(Math.min(...samples.map((s) => s.wallMs))),
      es_modules: modulesLoaded(bin, cwd, args, env),
      loadavg_1m: loadavg()[0]!.toFixed(2),
    },
  };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const bin = requireCmekBin();
  const runs = opts.quick ? 5 : 15;
  const dir = mkdtempSync(join(tmpdir(), 'cmek-bench-cli-'));
  try {
    const cwd = join(dir, 'quickstart');
    cpSync(join(ROOT, 'examples', 'quickstart'), cwd, { recursive: true });
    // The local KMS root key goes to this directory, not the user's data directory.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_DATA_HOME: join(dir, 'xdg'),
      CMEK_BENCH_DIR: dir,
      NO_COLOR: '1',
    };
    delete env.NODE_OPTIONS;
    delete env.CMEK_KMS_ROOT_KEY;
    delete env.CMEK_KMS_ROOT_KEY_FILE;
    spawnCmek(bin, cwd, ['apply', '-auto-approve', '-input=false'], env);
    const version = bench(runs, bin, cwd, ['--version'], env);
    const plan = bench(runs, bin, cwd, ['plan', '-input=false'], env);
    return [
      result('cli_version_ms', version.ms, 'ms', GOAL_VERSION_MS, version.notes),
      result('cli_plan_quickstart_ms', plan.ms, 'ms', GOAL_PLAN_MS, plan.notes),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
