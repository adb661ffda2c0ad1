// The pg state backend against a REAL PostgreSQL (started by the test, see pg-server.ts): the
// table layout terraform's pg backend uses, atomic writes, workspaces, advisory locking between
// sessions (a waiter, a timeout naming the holder, a dead session's lock gone, force-unlock of a
// stuck one) and the coded errors of a backend that cannot be reached, password never shown.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgBackend, pgSettings, type PgSettings } from '../../src/engine/backend/index.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { cliBin } from '../e2e/harness.js';
import { createDatabase, startPostgres, type PgServer } from './pg-server.js';

// One server for the whole file (start-up costs seconds); absent PostgreSQL is said loudly.
const started = await startPostgres();
const server: PgServer | undefined = 'skip' in started ? undefined : started;
const skip = 'skip' in started ? started.skip : '';
if (skip) console.warn(`SKIPPED pg backend tests: ${skip}`);
let n = 0;

afterAll(async () => {
  await server?.stop();
}, 60_000);

async function freshBackend(
  extra: Partial<PgSettings> = {},
): Promise<{ b: PgBackend; url: string }> {
  const url = await createDatabase(server!, `t${++n}_${process.pid}`);
  return { b: new PgBackend({ ...pgSettings({ conn_str: url }, {}), ...extra }), url };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, args: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, args)).rows;
  } finally {
    await c.end();
  }
}

function diagOf(e: unknown) {
  expect(e).toBeInstanceOf(DiagnosticError);
  return (e as DiagnosticError).diagnostics[0]!;
}

const LOCK = { operation: 'OperationTypeApply', timeoutMs: 0, version: '0.0.0-test' };

describe.skipIf(!server)(`pg backend (real PostgreSQL)${skip ? ` SKIPPED: ${skip}` : ''}`, () => {
  it("creates terraform's layout: schema terraform_remote_state, table states(id, name, data), index", async () => {
    const { b, url } = await freshBackend();
    expect(await b.workspaces()).toEqual(['default']);
    const cols = await query<{
      column_name: string;
      data_type: string;
      column_default: string | null;
    }>(
      url,
      `SELECT column_name, data_type, column_default FROM information_schema.columns
       WHERE table_schema = 'terraform_remote_state' AND table_name = 'states' ORDER BY ordinal_position`,
    );
    expect(cols.map((c) => [c.column_name, c.data_type])).toEqual([
      ['id', 'bigint'],
      ['name', 'text'],
      ['data', 'text'],
    ]);
    expect(cols[0]!.column_default).toContain('global_states_id_seq');
    const idx = await query<{ indexname: string }>(
      url,
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'terraform_remote_state' AND tablename = 'states'`,
    );
    expect(idx.map((i) => i.indexname)).toContain('states_by_name');
  });

  it('reads back what it wrote, one row per workspace; lists and deletes workspaces', async () => {
    const { b, url } = await freshBackend();
    expect(await b.read('default')).toBeUndefined();
    await b.write('default', '{"a":1}\n');
    await b.write('default', '{"a":2}\n');
    await b.createWorkspace('staging', '{"empty":true}\n');
    await b.write('prod', '{"p":1}\n');
    expect(await b.read('default')).toBe('{"a":2}\n');
    expect(await b.read('staging')).toBe('{"empty":true}\n');
    expect(await b.workspaces()).toEqual(['default', 'prod', 'staging']);
    const rows = await query<{ name: string }>(
      url,
      'SELECT name FROM terraform_remote_state.states ORDER BY name',
    );
    expect(rows.map((r) => r.name)).toEqual(['default', 'prod', 'staging']);
    await b.deleteWorkspace('prod');
    expect(await b.workspaces()).toEqual(['default', 'staging']);
  });

  it('a custom schema_name, and skip_table_creation without the table is a BACKEND_ERROR', async () => {
    const { b, url } = await freshBackend({ schema_name: 'team "a"' });
    await b.write('default', 'x');
    expect(await query(url, 'SELECT data FROM "team ""a""".states')).toEqual([{ data: 'x' }]);
    const none = new PgBackend({
      ...b.settings,
      schema_name: 'nothing',
      skip_table_creation: true,
      skip_schema_creation: true,
    });
    const e = await none.read('default').catch((x: unknown) => x);
    const d = diagOf(e);
    expect(d.code).toBe('BACKEND_ERROR');
    expect(d.summary).toContain('nothing.states');
  });

  it('locks between sessions: STATE_LOCKED names the holder; -lock-timeout waits for the release', async () => {
    const { b } = await freshBackend();
    await b.write('default', '{}');
    const other = new PgBackend(b.settings);
    const held = await b.lock('default', LOCK);
    const e = await other.lock('default', LOCK).catch((x: unknown) => x);
    const d = diagOf(e);
    expect(d.code).toBe('STATE_LOCKED');
    expect(d.detail).toContain(`ID:        ${held.info.ID}`);
    expect(d.detail).toContain('OperationTypeApply');
    expect(d.detail).toContain(held.info.Who);
    expect(d.detail).toContain('PostgreSQL session pid');
    // A writer holding the lock writes through its own session.
    await b.write('default', '{"by":"holder"}');
    const t0 = Date.now();
    setTimeout(() => void held.release(), 600);
    const got = await other.lock('default', { ...LOCK, timeoutMs: 20_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    await got.release();
    expect(await other.read('default')).toBe('{"by":"holder"}');
  }, 60_000);

  it("a workspace without a row is locked by terraform's creation lock -1", async () => {
    const { b, url } = await freshBackend();
    const held = await b.lock('fresh', LOCK);
    const locks = await query<{ objid: number; classid: number }>(
      url,
      `SELECT classid::bigint AS classid, objid::bigint AS objid FROM pg_locks WHERE locktype = 'advisory' AND granted`,
    );
    expect(locks).toContainEqual({ classid: '4294967295', objid: '4294967295' });
    const e = await new PgBackend(b.settings).lock('other', LOCK).catch((x: unknown) => x);
    expect(diagOf(e).code).toBe('STATE_LOCKED');
    expect(diagOf(e).detail).toContain('being created');
    await b.write('fresh', '{}');
    await held.release();
    const again = await new PgBackend(b.settings).lock('fresh', LOCK);
    await again.release();
  }, 60_000);

  it('a killed holder loses its lock with its connection (no force-unlock needed)', async () => {
    const { b, url } = await freshBackend();
    await b.write('default', '{}');
    // Another process takes the lock with the real backend code, then is killed -9.
    const built = join(dirname(dirname(cliBin())), 'engine', 'backend', 'index.js');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { PgBackend, pgSettings } from ${JSON.stringify(built)};
         const b = new PgBackend(pgSettings({ conn_str: ${JSON.stringify(url)} }, {}));
         await b.lock('default', { operation: 'OperationTypeApply', timeoutMs: 0, version: 'x' });
         process.stdout.write('locked\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    const e = await b.lock('default', LOCK).catch((x: unknown) => x);
    expect(diagOf(e).code).toBe('STATE_LOCKED');
    child.kill('SIGKILL');
    // The server notices the closed connection at once; wait for it with -lock-timeout.
    const got = await b.lock('default', { ...LOCK, timeoutMs: 20_000 });
    await got.release();
    expect(
      await query(url, 'SELECT count(*)::int AS n FROM terraform_remote_state.cmek_locks'),
    ).toEqual([{ n: 0 }]);
  }, 300_000);

  it("force-unlock ends a stuck holder's session, only with the ID it reported", async () => {
    const { b } = await freshBackend();
    await b.write('default', '{}');
    const stuck = new PgBackend(b.settings);
    const held = await stuck.lock('default', LOCK);
    const wrong = await b.forceUnlock('default', 'not-the-id');
    expect(wrong.kind).toBe('mismatch');
    const r = await b.forceUnlock('default', held.info.ID);
    expect(r.kind).toBe('removed');
    const got = await b.lock('default', { ...LOCK, timeoutMs: 10_000 });
    await got.release();
    await held.release(); // its session is gone: releasing is a no-op, not an error
    expect((await b.forceUnlock('default', held.info.ID)).kind).toBe('none');
  }, 60_000);

  it('an unreachable server or a wrong password is BACKEND_UNREACHABLE, password never shown', async () => {
    const wrong = `postgres://postgres:sup3r-s3cret@127.0.0.1:${server!.port}/postgres?sslmode=disable`;
    const e1 = await new PgBackend(pgSettings({ conn_str: wrong }, {}))
      .read('default')
      .catch((x: unknown) => x);
    const d1 = diagOf(e1);
    expect(d1.code).toBe('BACKEND_UNREACHABLE');
    expect(JSON.stringify(d1)).not.toContain('sup3r-s3cret');
    expect(d1.summary).toContain('postgres:***@127.0.0.1');
    const closed = `postgres://postgres:sup3r-s3cret@127.0.0.1:1/postgres?sslmode=disable`;
    const e2 = await new PgBackend(pgSettings({ conn_str: closed }, {}))
      .workspaces()
      .catch((x: unknown) => x);
    const d2 = diagOf(e2);
    expect(d2.code).toBe('BACKEND_UNREACHABLE');
    expect(JSON.stringify(d2)).not.toContain('sup3r-s3cret');
    // As terraform (lib/pq): no sslmode means require, and this server has no TLS.
    const noTls = `postgres://postgres:${server!.password}@127.0.0.1:${server!.port}/postgres`;
    const e3 = await new PgBackend(pgSettings({ conn_str: noTls }, {}))
      .read('default')
      .catch((x: unknown) => x);
    expect(diagOf(e3).code).toBe('BACKEND_UNREACHABLE');
    expect(diagOf(e3).detail).toContain('sslmode=disable');
    expect(JSON.stringify(diagOf(e3))).not.toContain(server!.password);
  }, 60_000);

  it('settings come from the block, then the environment (PG_CONN_STR, PG_SCHEMA_NAME)', () => {
    const s = pgSettings(
      {},
      { PG_CONN_STR: 'postgres://h/db', PG_SCHEMA_NAME: 'x', PG_SKIP_SCHEMA_CREATION: 'true' },
    );
    expect(s).toMatchObject({
      conn_str: 'postgres://h/db',
      schema_name: 'x',
      skip_schema_creation: true,
    });
    expect(
      pgSettings({ conn_str: 'postgres://a/b' }, { PG_CONN_STR: 'postgres://h/db' }).conn_str,
    ).toBe('postgres://a/b');
    expect(pgSettings({ conn_str: 'postgres://a/b' }, {}).schema_name).toBe(
      'terraform_remote_state',
    );
    expect(() => pgSettings({}, {})).toThrow(DiagnosticError);
  });
});
