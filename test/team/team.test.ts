// The team set-up end to end (docs/team.md): one real PostgreSQL holding the state (`pg`
// backend), one real `cmek server --listen` as the shared control plane, and four working
// directories with two workspaces each, all driven through the real built CLI at once: eight
// concurrent applies, concurrent `cmek data put`s, reads from another directory byte-identical,
// one service per name on the server, one state row per workspace, and every plan clean.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, startPostgres, type PgServer } from '../backend/pg-server.js';
import { cmek, cmekAsync, copyExample, startCmekServer, type RunResult } from '../e2e/harness.js';

const started = await startPostgres();
const pgServer: PgServer | undefined = 'skip' in started ? undefined : started;
const skip = 'skip' in started ? started.skip : '';
if (skip) console.warn(`SKIPPED the team end-to-end test: ${skip}`);

const ALICE = { CMEK_ACCESS_KEY_ID: 'AKIDALICE', CMEK_SECRET_ACCESS_KEY: 'alice-secret-change-me' };
const DIRS = [1, 2, 3, 4];
const WORKSPACES = ['blue', 'green'];

let server: ChildProcess | undefined;

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  await pgServer?.stop();
}, 60_000);

/** Working directory N: a copy of examples/team whose state is in schema `dirN` of the shared
 * database and whose names carry the workspace (`team-<workspace>-dirN-orders`), so a
 * directory's two workspaces never fight over a name. */
function workingDir(n: number): string {
  const dir = copyExample('team');
  const main = readFileSync(join(dir, 'main.tf'), 'utf8');
  expect(main).toContain('${var.team}-orders');
  writeFileSync(
    join(dir, 'main.tf'),
    main.replaceAll('${var.team}', `team-\${terraform.workspace}-dir${n}`),
  );
  writeFileSync(
    join(dir, 'backend.tf'),
    `terraform {\n  backend "pg" {\n    schema_name = "dir${n}"\n  }\n}\n`,
  );
  return dir;
}

function ok(r: RunResult, what: string): RunResult {
  expect(r.stderr + r.stdout, what).not.toContain('    at '); // never a stack trace
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

describe.skipIf(!pgServer)(
  `team set-up: PostgreSQL state + cmek server + 4 directories × 2 workspaces${skip ? ` SKIPPED: ${skip}` : ''}`,
  () => {
    it(
      'concurrent applies and writes from every directory and workspace converge',
      { timeout: 600_000 },
      async () => {
        const conn = await createDatabase(pgServer!, `team_${process.pid}`);
        const srv = await startCmekServer();
        server = srv.proc;
        const { url, dir: serverDir } = srv;
        const dirs = DIRS.map((n) => {
          const dir = workingDir(n);
          return { n, dir, env: { ...ALICE, PG_CONN_STR: conn, TF_VAR_cmek_endpoint: url } };
        });
        for (const d of dirs) {
          ok(cmek(d.dir, ['init'], { env: d.env }), `init dir${d.n}`);
          for (const w of WORKSPACES)
            ok(cmek(d.dir, ['workspace', 'new', w], { env: d.env }), `workspace new ${w}`);
        }
        const runs = dirs.flatMap((d) =>
          WORKSPACES.map((w) => ({
            ...d,
            ws: w,
            svc: `team-${w}-dir${d.n}-orders`,
            wsEnv: { ...d.env, TF_WORKSPACE: w },
          })),
        );

        // Eight applies at once: two per directory (one per workspace), all on one server.
        const applied = await Promise.all(
          runs.map((r) => cmekAsync(r.dir, ['apply', '-auto-approve'], r.wsEnv)),
        );
        applied.forEach((a, i) => {
          ok(a, `apply ${runs[i]!.svc}`);
          expect(a.stdout).toContain('3 added, 0 changed, 0 destroyed');
        });

        // Two objects into each service at once, written from its own directory.
        const bodies = new Map<string, { svc: string; obj: string; body: Buffer; from: number }>();
        const puts: Promise<RunResult>[] = [];
        for (const r of runs) {
          for (const k of [0, 1]) {
            const obj = `${r.ws}-o${k}.bin`;
            const body = randomBytes(128 * 1024 + r.n * 1031 + k * 4099);
            writeFileSync(join(r.dir, obj), body);
            bodies.set(`${r.svc}/${obj}`, { svc: r.svc, obj, body, from: r.n });
            puts.push(cmekAsync(r.dir, ['data', 'put', r.svc, obj, obj], r.wsEnv));
          }
        }
        for (const p of await Promise.all(puts)) ok(p, 'data put');

        // Every object reads back byte-identical from ANOTHER directory.
        const gets = [...bodies.values()].map(async (b) => {
          const reader = dirs[b.from % dirs.length]!; // dir N+1 (dir 4 → dir 1)
          expect(reader.n).not.toBe(b.from);
          const out = `${b.svc}-${b.obj}.back`;
          ok(
            await cmekAsync(reader.dir, ['data', 'get', b.svc, b.obj, '-o', out], reader.env),
            out,
          );
          expect(readFileSync(join(reader.dir, out)).equals(b.body), out).toBe(true);
        });
        await Promise.all(gets);

        // One service per directory × workspace on the server, none twice, nothing else.
        const ls = ok(cmek(dirs[0]!.dir, ['service', 'ls', '-json'], { env: dirs[0]!.env }), 'ls');
        const names = (JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name).sort();
        expect(names).toEqual(runs.map((r) => r.svc).sort());
        const there = ok(cmek(serverDir, ['service', 'ls', '-json']), 'ls on the server');
        expect((JSON.parse(there.stdout) as { name: string }[]).map((s) => s.name).sort()).toEqual(
          names,
        );

        // The state: one row per workspace in each directory's schema, holding its 3 resources.
        const c = new pg.Client({ connectionString: conn });
        await c.connect();
        try {
          for (const d of dirs) {
            const { rows } = await c.query<{ name: string; data: string }>(
              `SELECT name, data FROM "dir${d.n}".states ORDER BY name`,
            );
            const named = rows.filter((r) => r.name !== 'default');
            expect(
              named.map((r) => r.name),
              `dir${d.n}`,
            ).toEqual(WORKSPACES);
            for (const row of named) {
              const state = JSON.parse(row.data) as { resources: unknown[] };
              expect(state.resources, `dir${d.n}/${row.name}`).toHaveLength(3);
              expect(row.data).toContain(`team-${row.name}-dir${d.n}-orders`);
            }
            // A `default` row, if one exists, manages nothing.
            for (const row of rows.filter((r) => r.name === 'default'))
              expect((JSON.parse(row.data) as { resources: unknown[] }).resources).toEqual([]);
          }
        } finally {
          await c.end();
        }

        // Every plan afterwards is clean, all eight at once.
        const plans = await Promise.all(
          runs.map((r) => cmekAsync(r.dir, ['plan', '-detailed-exitcode'], r.wsEnv)),
        );
        plans.forEach((p, i) => ok(p, `plan ${runs[i]!.svc}`));
      },
    );
  },
);
