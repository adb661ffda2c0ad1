// `npm run bench [-- --quick] [-- --only=PREFIX]`: runs every bench module and prints one JSON line
// per result: {"name","value","unit","baseline","ratio"} (docs/contract.md, Performance). To add a
// bench, write a module exporting `run(opts: BenchOptions): Promise<BenchResult[]>` and list it
// below.
//
// Each module runs in a process of its own (this script again, with `--module=NAME`), so what one
// module leaves behind — its heap, the crypto pool's workers and slabs, the memory it took from
// the system — is not in the process the next module measures in.
import { spawnSync } from 'node:child_process';
import type { BenchModule, BenchOptions, BenchResult } from './lib.js';

const MODULES: Array<{ name: string; load: () => Promise<BenchModule> }> = [
  { name: 'core', load: () => import('./core.js') },
  { name: 'plan', load: () => import('./plan.js') },
  { name: 'store', load: () => import('./store.js') },
  { name: 'cli', load: () => import('./cli.js') },
  // The Terraform provider plugin: launch → handshake line; terraform plan vs cmek plan.
  { name: 'terraform-provider', load: () => import('./terraform-provider.js') },
  { name: 'terraform', load: () => import('./terraform.js') },
  // State backends: apply with the state in PostgreSQL vs a local file.
  { name: 'backend', load: () => import('./backend.js') },
  // server: remote_put_vs_embedded_put (docs/team.md)
  { name: 'server', load: () => import('./server.js') },
  // cmek policy check on a 10,000-resource plan.
  { name: 'policy', load: () => import('./policy.js') },
];

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}

/** Runs one module in this process and prints its lines; returns whether it succeeded. */
async function runModule(m: (typeof MODULES)[number], opts: BenchOptions): Promise<boolean> {
  let results: BenchResult[];
  try {
    results = await (await m.load()).run(opts);
  } catch (e) {
    // One broken module must not hide the others' figures; report it and exit non-zero.
    console.error(`bench module ${m.name} failed: ${(e as Error).stack ?? String(e)}`);
    return false;
  }
  for (const r of results) {
    const line = {
      name: r.name,
      value: round(r.value),
      unit: r.unit,
      baseline: round(r.baseline),
      ratio: round(r.ratio),
    };
    console.log(JSON.stringify(line));
    if (r.notes) console.error(`  ${r.name}: ${JSON.stringify(r.notes)}`);
  }
  return true;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opts: BenchOptions = { quick: args.includes('--quick') || args.includes('-quick') };
  const value = (flag: string) =>
    args.find((a) => a.replace(/^--?/, '').startsWith(`${flag}=`))?.split('=')[1];
  const one = value('module');
  if (one !== undefined) {
    const m = MODULES.find((x) => x.name === one);
    if (!m) throw new Error(`no bench module ${one}`);
    return (await runModule(m, opts)) ? 0 : 1;
  }
  const only = value('only');
  let failed = 0;
  for (const m of MODULES) {
    if (only && !m.name.startsWith(only)) continue;
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1]!,
        `--module=${m.name}`,
        ...(opts.quick ? ['--quick'] : []),
      ],
      { stdio: 'inherit' },
    );
    if (child.status !== 0) {
      failed++;
      if (child.status === null) console.error(`bench module ${m.name} ended by ${child.signal}`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
