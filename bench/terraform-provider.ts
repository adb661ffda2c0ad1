// tf_provider_start_ms (docs/terraform-protocol.md, "Start-up"): wall-clock milliseconds from
// launching dist/terraform-provider-cmek.js (the launcher, which runs dist/cmek-provider.cjs
// through its code cache; run `npm run build` first; CMEK_BENCH_PROVIDER picks another file) as terraform does — magic cookie, protocol 6, a client certificate for
// mutual TLS — to its handshake line on stdout, the median of N launches. The baseline is the
// launch of `node -e 0` measured alternately in the same run, so the ratio is what the plugin
// adds to a bare Node start on this (possibly loaded) machine; the notes give the goal (250 ms),
// the load average, and CPU time (less sensitive to other processes than wall time on a shared
// machine): the plugin's, all its threads, up to the handshake line (/proc/PID/task/*/schedstat),
// and a whole `node -e 0` (its user + system time, from /proc/self/stat once reaped).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { terraformLaunchEnv } from '../scripts/build-provider.js';
import { childrenCpu, cpuOf } from './cpu.js';
import { result, type BenchOptions, type BenchResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_MS = 250;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU milliseconds from spawn to the first stdout line. The plugin is then killed,
 * and the promise settles once it is reaped (so its CPU time is not counted in the next
 * `node -e 0`'s children time). */
function launch(exe: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; cpu: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [exe], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let got: { ms: number; cpu: number } | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (got || !out.includes('\n')) return;
      got = { ms: performance.now() - t0, cpu: cpuOf(child.pid) };
      child.kill('SIGKILL');
    });
    child.on('exit', (code) => {
      if (!got) reject(new Error(`the plugin exited (${code}) before its handshake`));
      else if (!/^1\|6\|tcp\|/.test(out)) reject(new Error(`unexpected handshake line: ${out}`));
      else resolvePromise(got);
    });
  });
}

function nodeBare(): Promise<{ ms: number; cpu: number }> {
  return new Promise((resolvePromise) => {
    const cpu0 = childrenCpu();
    const t0 = performance.now();
    spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('exit', () => {
      const ms = performance.now() - t0;
      // 'exit' comes once libuv has reaped the child, so its CPU time is in cutime/cstime.
      resolvePromise({ ms, cpu: childrenCpu() - cpu0 });
    });
  });
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const exe = resolve(
    process.env.CMEK_BENCH_PROVIDER || join(ROOT, 'dist', 'terraform-provider-cmek.js'),
  );
  if (!existsSync(exe)) throw new Error(`${exe} does not exist: run \`npm run build\` first`);
  const env = await terraformLaunchEnv();
  const runs = opts.quick ? 5 : 15;
  const plugin: { ms: number; cpu: number }[] = [];
  const bare: { ms: number; cpu: number }[] = [];
  await launch(exe, env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    bare.push(await nodeBare());
    plugin.push(await launch(exe, env));
  }
  const ms = (xs: { ms: number }[]): number[] => xs.map((x) => x.ms);
  const cpu = (xs: { cpu: number }[]): number[] => xs.map((x) => x.cpu);
  return [
    result('tf_provider_start_ms', median(ms(plugin)), 'ms', median(ms(bare)), {
      goal_ms: GOAL_MS,
      min_ms: Math.round(Math.min(...ms(plugin))),
      node_min_ms: Math.round(Math.min(...ms(bare))),
      cpu_ms: Math.round(median(cpu(plugin))),
      cpu_min_ms: Math.round(Math.min(...cpu(plugin))),
      node_cpu_ms: Math.round(median(cpu(bare))),
      loadavg_1m: Number(loadavg()[0]!.toFixed(2)),
    }),
  ];
}
