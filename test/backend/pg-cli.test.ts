// The real `cmek` binary with its state in a REAL PostgreSQL (one server for the file, a database
// per test): init, plan/apply/destroy, locking between processes, kill -9 of an apply that holds
// the lock, migration local → pg → local, workspaces, terraform.workspace, and a round trip with
// terraform's own pg backend when the terraform binary is present.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cmek, cmekSpawn, copyExample, tempDir } from '../e2e/harness.js';
import { PgBackend, pgSettings } from '../../src/engine/backend/index.js';
import { createDatabase, startPostgres, type PgServer } from './pg-server.js';

const started = await startPostgres();
const server: PgServer | undefined = 'skip' in started ? undefined : started;
const skip = 'skip' in started ? started.skip : '';
if (skip) console.warn(`SKIPPED pg backend CLI tests: ${skip}`);
const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!terraform) console.warn('SKIPPED the terraform round trip: no terraform binary on PATH');
let n = 0;

afterAll(async () => {
  await server?.stop();
}, 60_000);

const BACKEND = `
terraform {
  backend "pg" {}
}
`;

/** A copy of the quickstart whose state goes to a fresh database (conn_str from PG_CONN_STR). */
async function pgExample(): Promise<{ dir: string; url: string; env: Record<string, string> }> {
  const url = await createDatabase(server!, `c${++n}_${process.pid}`);
  const dir = copyExample('quickstart');
  writeFileSync(join(dir, 'backend.tf'), BACKEND);
  return { dir, url, env: { PG_CONN_STR: url } };
}

async function rows(url: string): Promise<Array<{ name: string; data: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (
      await c.query<{ name: string; data: string }>(
        'SELECT name, data FROM terraform_remote_state.states ORDER BY name',
      )
    ).rows;
  } finally {
    await c.end();
  }
}

function ok(r: { code: number; stdout: string; stderr: string }) {
  expect(r.stderr + r.stdout).not.toContain('    at '); // never a stack trace
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const T = 300_000;

describe.skipIf(!server)(`cmek with the pg backend${skip ? ` SKIPPED: ${skip}` : ''}`, () => {
  it(
    'needs init, then plan/apply/destroy keep the state in PostgreSQL only',
    async () => {
      const { dir, url, env } = await pgExample();
      const before = cmek(dir, ['plan'], { env });
      expect(before.code).toBe(1);
      expect(before.stderr).toContain('BACKEND_INIT_REQUIRED');
      ok(cmek(dir, ['init'], { env }));
      ok(cmek(dir, ['apply', '-auto-approve'], { env }));
      const [row] = await rows(url);
      expect(row!.name).toBe('default');
      const state = JSON.parse(row!.data) as { resources: unknown[]; serial: number };
      expect(state.resources).toHaveLength(3);
      expect(() => readFileSync(join(dir, 'terraform.tfstate'))).toThrow();
      const again = cmek(dir, ['plan', '-detailed-exitcode'], { env });
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(ok(cmek(dir, ['state', 'list'], { env })).stdout).toContain('cmek_kms_key.orders');
      ok(cmek(dir, ['destroy', '-auto-approve'], { env }));
      expect(
        (JSON.parse((await rows(url))[0]!.data) as { resources: unknown[] }).resources,
      ).toEqual([]);
    },
    T,
  );

  it(
    'a held lock stops a second process with STATE_LOCKED naming the holder; -lock-timeout waits',
    async () => {
      const { dir, env } = await pgExample();
      ok(cmek(dir, ['init'], { env }));
      ok(cmek(dir, ['apply', '-auto-approve'], { env }));
      // This test process holds the lock through the backend (its own PostgreSQL session).
      const b = new PgBackend(pgSettings({ conn_str: env.PG_CONN_STR! }, {}));
      const held = await b.lock('default', {
        operation: 'OperationTypeApply',
        timeoutMs: 0,
        version: 'test',
      });
      const r = cmek(dir, ['plan'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('STATE_LOCKED');
      expect(r.stderr).toContain(held.info.ID);
      expect(r.stderr).toContain(held.info.Who);
      expect(r.stderr).toContain('PostgreSQL session pid');
      // A waiting process gets the lock once it is released.
      process.env.PG_CONN_STR = env.PG_CONN_STR;
      const waiter = cmekSpawn(dir, ['plan', '-lock-timeout=120s', '-detailed-exitcode']);
      delete process.env.PG_CONN_STR;
      let out = '';
      waiter.stdout.on('data', (d: Buffer) => (out += d.toString()));
      waiter.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((res) => setTimeout(res, 1500));
      expect(waiter.exitCode).toBeNull(); // still waiting
      await held.release();
      const code = await new Promise<number | null>((res) => waiter.once('exit', (c) => res(c)));
      expect(code, out).toBe(0);
    },
    T,
  );

  it(
    'kill -9 of an apply holding the lock: the next apply proceeds without force-unlock',
    async () => {
      const { dir, env } = await pgExample();
      ok(cmek(dir, ['init'], { env }));
      process.env.PG_CONN_STR = env.PG_CONN_STR;
      const child = cmekSpawn(dir, ['apply', '-auto-approve']);
      delete process.env.PG_CONN_STR;
      const seen = await waitForLock(env.PG_CONN_STR!, () => child.exitCode !== null);
      expect(seen, 'the apply was caught holding the lock').toBe(true);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const r = ok(cmek(dir, ['apply', '-auto-approve', '-lock-timeout=30s'], { env }));
      expect(r.stdout).toContain('Apply complete!');
      const again = cmek(dir, ['plan', '-detailed-exitcode'], { env });
      expect(again.code, again.stdout + again.stderr).toBe(0);
    },
    T,
  );

  it(
    'migrates local → pg → local with nothing lost',
    async () => {
      const url = await createDatabase(server!, `m${++n}_${process.pid}`);
      const dir = copyExample('quickstart');
      ok(cmek(dir, ['apply', '-auto-approve']));
      const local = readFileSync(join(dir, 'terraform.tfstate'), 'utf8');
      writeFileSync(join(dir, 'backend.tf'), BACKEND);
      const refused = cmek(dir, ['init', `-backend-config=conn_str=${url}`]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('-migrate-state');
      const m = ok(cmek(dir, ['init', '-migrate-state', `-backend-config=conn_str=${url}`]));
      expect(m.stdout).toContain('Copied the state of workspace "default"');
      expect(m.stdout + m.stderr).not.toContain(server!.password);
      expect((await rows(url))[0]!.data).toBe(local);
      // The record holds the conn_str given on the command line: owner-only.
      const rec = join(dir, '.cmek', 'backend', 'backend.json');
      expect(spawnSync('stat', ['-c', '%a', rec], { encoding: 'utf8' }).stdout.trim()).toBe('600');
      // Work in pg: the state there moves on.
      ok(cmek(dir, ['taint', 'cmek_encrypted_service.orders']));
      ok(cmek(dir, ['apply', '-auto-approve']));
      const inPg = (await rows(url))[0]!.data;
      expect(JSON.parse(inPg).serial).toBeGreaterThan(JSON.parse(local).serial);
      // And back to local files.
      writeFileSync(join(dir, 'backend.tf'), '');
      const back = ok(cmek(dir, ['init', '-migrate-state']));
      expect(back.stdout).toContain('Copied the state of workspace "default"');
      expect(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).toBe(inPg);
      const plan = cmek(dir, ['plan', '-detailed-exitcode']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    },
    T,
  );

  it(
    'workspaces are rows of their own; terraform.workspace names them',
    async () => {
      const { dir, url, env } = await pgExample();
      writeFileSync(
        join(dir, 'main.tf'),
        readFileSync(join(dir, 'main.tf'), 'utf8')
          .replace('name    = "orders"', 'name    = "orders-${terraform.workspace}"')
          .replace('"alias/quickstart-orders"', '"alias/quickstart-orders-${terraform.workspace}"'),
      );
      ok(cmek(dir, ['init'], { env }));
      ok(cmek(dir, ['apply', '-auto-approve'], { env }));
      ok(cmek(dir, ['workspace', 'new', 'staging'], { env }));
      expect(ok(cmek(dir, ['workspace', 'show'], { env })).stdout.trim()).toBe('staging');
      expect(ok(cmek(dir, ['state', 'list'], { env })).stdout).toBe('');
      ok(cmek(dir, ['apply', '-auto-approve'], { env }));
      expect(ok(cmek(dir, ['workspace', 'list'], { env })).stdout).toBe('  default\n* staging\n');
      const byName = Object.fromEntries((await rows(url)).map((r) => [r.name, JSON.parse(r.data)]));
      const names = (s: {
        resources: Array<{ type: string; instances: Array<{ attributes: { name?: string } }> }>;
      }) =>
        s.resources.find((r) => r.type === 'cmek_encrypted_service')?.instances[0]?.attributes.name;
      expect(names(byName.default)).toBe('orders-default');
      expect(names(byName.staging)).toBe('orders-staging');
      ok(cmek(dir, ['workspace', 'select', 'default'], { env }));
      const del = cmek(dir, ['workspace', 'delete', 'staging'], { env });
      expect(del.code).toBe(1);
      expect(del.stderr).toContain('WORKSPACE_ERROR');
      ok(cmek(dir, ['workspace', 'select', 'staging'], { env }));
      ok(cmek(dir, ['destroy', '-auto-approve'], { env }));
      ok(cmek(dir, ['workspace', 'select', 'default'], { env }));
      ok(cmek(dir, ['workspace', 'delete', 'staging'], { env }));
      expect((await rows(url)).map((r) => r.name)).toEqual(['default']);
    },
    T,
  );

  it.skipIf(!terraform)(
    `terraform's pg backend reads what cmek wrote; cmek reads terraform's rows (workspaces, states)${terraform ? '' : ' SKIPPED: no terraform binary'}`,
    async () => {
      const { dir, url, env } = await pgExample();
      // terraform init first, while the state names no provider (init would fetch cmek/cmek
      // from the registry otherwise): the backend is all terraform needs for pull and push.
      const tf = tempDir({ 'main.tf': BACKEND });
      const tfEnv = {
        ...process.env,
        PG_CONN_STR: url,
        TF_IN_AUTOMATION: '1',
        CHECKPOINT_DISABLE: '1',
      };
      const run = (args: string[]) => {
        const r = spawnSync('terraform', args, {
          cwd: tf,
          env: tfEnv,
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(r.status, `terraform ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
        return r.stdout;
      };
      run(['init', '-input=false', '-no-color']);
      ok(cmek(dir, ['init'], { env }));
      ok(cmek(dir, ['apply', '-auto-approve'], { env }));
      const pulled = JSON.parse(run(['state', 'pull'])) as {
        lineage: string;
        serial: number;
        resources: unknown[];
      };
      const ours = JSON.parse((await rows(url))[0]!.data) as typeof pulled;
      expect(pulled.lineage).toBe(ours.lineage);
      expect(pulled.serial).toBe(ours.serial);
      expect(pulled.resources).toEqual(ours.resources);
      // terraform writes a workspace (its empty state, then a pushed one); cmek reads it.
      run(['workspace', 'new', '-no-color', 'fromtf']);
      writeFileSync(
        join(tf, 'pushed.tfstate'),
        JSON.stringify({ ...pulled, lineage: ours.lineage, serial: 1 }),
      );
      run(['state', 'push', '-force', 'pushed.tfstate']);
      expect(ok(cmek(dir, ['workspace', 'list'], { env })).stdout).toContain('fromtf');
      ok(cmek(dir, ['workspace', 'select', 'fromtf'], { env }));
      // terraform stamps its own version (1.x) into what it writes: the same format, which cmek
      // reads (docs/state.md), resources and all.
      const read = cmek(dir, ['state', 'list'], { env });
      expect(read.code, read.stderr).toBe(0);
      expect(read.stdout).toContain('cmek_encrypted_service');
      expect(read.stderr).not.toContain(server!.password);
      // And the default workspace, that cmek wrote, still plans clean after terraform's visit.
      ok(cmek(dir, ['workspace', 'select', 'default'], { env }));
      const plan = cmek(dir, ['plan', '-detailed-exitcode'], { env });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    },
    T,
  );
});

/** Poll pg_locks until a `cmek` session holds an advisory lock (true), or `done()` (false). */
async function waitForLock(url: string, done: () => boolean): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < 6000 && !done(); i++) {
      const r = await c.query(
        `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'cmek'
           AND a.datname = current_database()`,
      );
      if (r.rowCount) return true;
      await new Promise((res) => setTimeout(res, 10));
    }
    return false;
  } finally {
    await c.end();
  }
}
