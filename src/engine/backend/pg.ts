// The `pg` state backend: the state of each workspace is a row of `<schema_name>.states`
// (id bigint from public.global_states_id_seq, name text unique, data text), exactly as
// Terraform's own pg backend lays it out, so `terraform state pull` reads what cmek wrote and
// cmek reads what terraform wrote. The schema, table and index are created when missing unless
// skip_schema_creation / skip_table_creation / skip_index_creation say otherwise.
//
// Locking is Terraform's scheme: a session-level advisory lock on the row's id, and on -1 while
// a workspace that has no row yet is being created. A session lock dies with its connection, so
// a crashed or killed run never leaves the state locked. cmek also records who holds a lock in a
// side table `<schema_name>.cmek_locks` (name, pid, info), which terraform ignores; a lock held
// by terraform (no row there) is still reported, from pg_locks and pg_stat_activity.
// `force-unlock ID` ends the holder's session (pg_terminate_backend).
//
// Every write is a single INSERT ... ON CONFLICT statement: PostgreSQL applies it whole or not
// at all, so a crash mid-write leaves the previous state. The connection string's password is
// never printed (describe() and every message show the URL without it).
import type { Client, ClientConfig } from 'pg';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { newLockInfo, type LockInfo } from '../../support/lock.js';
import { lockInfoLines } from './local-lock.js';
import {
  DEFAULT_WORKSPACE,
  type BackendLock,
  type ForceUnlockResult,
  type LockRequest,
  type StateBackend,
} from './types.js';

export interface PgSettings {
  conn_str: string;
  schema_name: string;
  skip_schema_creation: boolean;
  skip_table_creation: boolean;
  skip_index_creation: boolean;
}

/** Terraform's default schema for the pg backend. */
export const PG_DEFAULT_SCHEMA = 'terraform_remote_state';
/** The advisory lock Terraform takes while a workspace without a row is being created. */
const CREATION_KEY = -1n;
/** How long a run without -lock-timeout retries a momentary hold of CREATION_KEY by another
 * run's lock attempt before it reports the state locked. */
const CREATION_GRACE_MS = 2000;
/** Serializes cmek's own schema creation between concurrent first runs ("cmek" in ASCII). */
const DDL_KEY = 0x636d656b;

/** pq.QuoteIdentifier: double quotes, inner quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The connection string without its password (for messages and `describe`). */
export function redactConnStr(conn: string): string {
  try {
    const u = new URL(conn);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return conn.replace(/(password\s*=\s*)\S+/gi, '$1***').replace(/:[^:@/]*@/, ':***@');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SQLSTATE classes that mean "cannot get in": connection (08), login (28), no such DB (3D). */
function isConnectionProblem(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return true; // socket errors: ECONNREFUSED, ENOTFOUND, timeouts
  return /^(08|28|3D|57P0)/.test(code) || /^E[A-Z]+$/.test(code);
}

interface Holder {
  pid: number;
  user?: string;
  application?: string;
  address?: string;
  since?: string;
  info?: LockInfo;
}

export class PgBackend implements StateBackend {
  readonly type = 'pg';
  readonly settings: PgSettings;
  private readonly schema: string;
  private readonly table: string;
  private readonly locks: string;
  private prepared: Promise<void> | undefined;
  /** One session per backend (per process): reads, writes and locks all go through it, so a
   * command pays for one connection. Its socket is unref'd while idle, so an idle session
   * never keeps the process alive; it ends with the process (and its locks with it). */
  private session: Promise<Client> | undefined;
  private inflight = 0;
  /** The advisory lock key held per workspace by this session. */
  private readonly held = new Map<string, bigint>();
  /** Set when the session ended while it held a lock: nothing may be written any more. */
  private lost = false;

  constructor(settings: PgSettings) {
    this.settings = settings;
    this.schema = quoteIdent(settings.schema_name);
    this.table = `${this.schema}.states`;
    this.locks = `${this.schema}.cmek_locks`;
  }

  describe(workspace: string): string {
    return (
      `pg backend ${redactConnStr(this.settings.conn_str)} schema ` +
      `${this.settings.schema_name}, workspace "${workspace}"`
    );
  }

  /** A diagnostic for an error of the server or the connection, without the password. */
  failure(e: unknown, doing: string): DiagnosticError {
    if (e instanceof DiagnosticError) return e;
    const where = redactConnStr(this.settings.conn_str);
    let pw = '';
    try {
      pw = new URL(this.settings.conn_str).password;
    } catch {
      pw = '';
    }
    let msg = e instanceof Error ? e.message : String(e);
    if (pw) msg = msg.split(decodeURIComponent(pw)).join('***');
    if (isConnectionProblem(e)) {
      return new DiagnosticError(
        diag(
          'BACKEND_UNREACHABLE',
          `Cannot connect to the pg state backend at ${where}`,
          `${doing} failed: ${msg}\nCheck that PostgreSQL runs and accepts connections there, ` +
            'that the user, password and database in conn_str (or PG_CONN_STR) are right, and ' +
            'add ?sslmode=disable for a server without TLS (the default, as with terraform, is ' +
            'sslmode=require). Nothing was changed.',
        ),
      );
    }
    return new DiagnosticError(
      diag(
        'BACKEND_ERROR',
        `The pg state backend at ${where} refused: ${msg}`,
        `${doing} failed (SQLSTATE ${(e as { code?: string }).code ?? '?'}). Check that the ` +
          `user may use schema ${this.settings.schema_name} (CREATE on the database when the ` +
          'schema must be created, or set skip_schema_creation / skip_table_creation when an ' +
          'administrator created them). Nothing was changed.',
      ),
    );
  }

  private clientConfig(): ClientConfig {
    const conn = this.settings.conn_str;
    if (!/^postgres(ql)?:\/\//.test(conn))
      throw new DiagnosticError(
        diag(
          'BACKEND_ERROR',
          'The pg backend conn_str is not a postgres:// URL',
          'Write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable (in the ' +
            'backend block, -backend-config=conn_str=..., or PG_CONN_STR).',
        ),
      );
    // As lib/pq (terraform's driver): no sslmode means sslmode=require.
    const url = new URL(conn);
    if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'require');
    if (!url.searchParams.has('uselibpqcompat')) url.searchParams.set('uselibpqcompat', 'true');
    return {
      connectionString: url.toString(),
      application_name: 'cmek',
      connectionTimeoutMillis: 15_000,
    };
  }

  /** A new session, with the schema ready. */
  private async connect(doing: string): Promise<Client> {
    const config = this.clientConfig();
    const { default: pg } = await import('pg');
    const client = new pg.Client(config);
    // A connection that drops while idle must not crash the process: the next query fails.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw this.failure(e, doing);
    }
    try {
      this.prepared ??= this.prepare(client);
      await this.prepared;
    } catch (e) {
      this.prepared = undefined;
      await client.end().catch(() => undefined);
      throw this.failure(e, 'Preparing the schema');
    }
    return client;
  }

  /** Create the schema, table and index when missing (unless skipped), as terraform does;
   * plus cmek's lock-holder table. One run at a time (a transaction-level advisory lock). */
  private async prepare(client: Client): Promise<void> {
    const s = this.settings;
    const has = async (rel: string) =>
      (await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [rel]))
        .rows[0]!.ok;
    const table = await has(this.table);
    if (table && (s.skip_table_creation || (await has(this.locks)))) return;
    if (!table && s.skip_table_creation)
      throw new DiagnosticError(
        diag(
          'BACKEND_ERROR',
          `The table ${s.schema_name}.states does not exist`,
          "skip_table_creation is set, so cmek does not create it: create it as terraform's pg " +
            'backend does (or run cmek init once without skip_table_creation).',
        ),
      );
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_KEY]);
      if (!s.skip_schema_creation) {
        const n = await client.query(
          'SELECT count(1)::int AS n FROM information_schema.schemata WHERE schema_name = $1',
          [s.schema_name],
        );
        if ((n.rows[0] as { n: number }).n < 1)
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      }
      if (!s.skip_table_creation) {
        await client.query('CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint');
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (
            id bigint NOT NULL DEFAULT nextval('public.global_states_id_seq') PRIMARY KEY,
            name text UNIQUE,
            data text
          )`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.locks} (name text PRIMARY KEY, pid integer NOT NULL, info text NOT NULL)`,
        );
      }
      if (!s.skip_index_creation)
        await client.query(
          `CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON ${this.table} (name)`,
        );
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private static socketOf(c: Client): { ref(): void; unref(): void } | undefined {
    return (c as unknown as { connection?: { stream?: { ref(): void; unref(): void } } }).connection
      ?.stream;
  }

  /** The backend's session, connected on first use. */
  private shared(doing: string): Promise<Client> {
    if (!this.session) {
      const s = this.connect(doing).then((c) => {
        const gone = () => {
          if (this.session === s) this.session = undefined;
          if (this.held.size) this.lost = true;
        };
        c.on('end', gone);
        c.on('error', gone);
        if (this.inflight === 0) PgBackend.socketOf(c)?.unref();
        return c;
      });
      s.catch(() => {
        if (this.session === s) this.session = undefined;
      });
      this.session = s;
    }
    return this.session;
  }

  /** Run `fn` on the session (its socket ref'd meanwhile, so the process waits for it). */
  private async use<T>(workspace: string, doing: string, fn: (c: Client) => Promise<T>) {
    if (this.lost)
      throw new DiagnosticError(
        diag(
          'BACKEND_ERROR',
          'The session that held the state lock ended',
          `${doing} was refused: the PostgreSQL session that held the lock of workspace ` +
            `"${workspace}" ended (force-unlock, or a server restart), so another run may own ` +
            'the state now. Nothing more was written; run the command again.',
        ),
      );
    this.inflight++;
    let client: Client | undefined;
    try {
      client = await this.shared(doing);
      PgBackend.socketOf(client)?.ref();
      return await fn(client);
    } catch (e) {
      throw this.failure(e, doing);
    } finally {
      if (--this.inflight === 0 && client) PgBackend.socketOf(client)?.unref();
    }
  }

  /** End the session (and so release every lock it holds). */
  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await (await s.catch(() => undefined))?.end().catch(() => undefined);
  }

  read(workspace: string): Promise<string | undefined> {
    return this.use(workspace, 'Reading the state', async (c) => {
      const r = await c.query<{ data: string | null }>(
        `SELECT data FROM ${this.table} WHERE name = $1`,
        [workspace],
      );
      return r.rows.length ? (r.rows[0]!.data ?? undefined) : undefined;
    });
  }

  write(workspace: string, text: string): Promise<void> {
    return this.use(workspace, 'Writing the state', async (c) => {
      await c.query(
        `INSERT INTO ${this.table} (name, data) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET data = $2 WHERE states.name = $1`,
        [workspace, text],
      );
    });
  }

  /** The pg backend keeps no backup (terraform's does not either): the database's own backups
   * are the place for that. */
  backup(): Promise<void> {
    return Promise.resolve();
  }

  /** One attempt at Terraform's lock: the row's id and the creation lock -1 together. The key
   * held on success, or the key someone else holds. */
  private async tryLock(c: Client, workspace: string): Promise<{ got: boolean; key: bigint }> {
    const r = await c.query<{ id: string; got: boolean; create: boolean }>(
      `SELECT states.id, pg_try_advisory_lock(states.id) AS got, pg_try_advisory_lock(-1) AS create
       FROM ${this.table} WHERE states.name = $1`,
      [workspace],
    );
    const row = r.rows[0];
    if (!row) {
      const g = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock(-1) AS got');
      return { got: g.rows[0]!.got, key: CREATION_KEY };
    }
    const id = BigInt(row.id);
    if (!row.got) {
      if (row.create) await c.query('SELECT pg_advisory_unlock(-1)');
      return { got: false, key: id };
    }
    if (!row.create) {
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [row.id]);
      return { got: false, key: CREATION_KEY };
    }
    await c.query('SELECT pg_advisory_unlock(-1)');
    return { got: true, key: id };
  }

  /** Who holds advisory lock `key` in this database, with cmek's lock info when it is cmek. */
  private async holder(c: Client, key: bigint, workspace: string): Promise<Holder | undefined> {
    const r = await c.query<{
      pid: number;
      usename: string | null;
      application_name: string | null;
      addr: string | null;
      since: Date | null;
    }>(
      `SELECT l.pid, a.usename, a.application_name, host(a.client_addr) AS addr,
              a.backend_start AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
         AND l.objid = ($1::bigint & 4294967295)::oid`,
      [key.toString()],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    let info: LockInfo | undefined;
    try {
      const i = await c.query<{ info: string }>(
        `SELECT info FROM ${this.locks} WHERE pid = $1 ORDER BY (name = $2) DESC LIMIT 1`,
        [row.pid, workspace],
      );
      if (i.rows[0]) info = JSON.parse(i.rows[0].info) as LockInfo;
    } catch {
      info = undefined; // no side table (skip_table_creation), or a row that is not ours
    }
    return {
      pid: row.pid,
      ...(row.usename ? { user: row.usename } : {}),
      ...(row.application_name ? { application: row.application_name } : {}),
      ...(row.addr ? { address: row.addr } : {}),
      ...(row.since ? { since: row.since.toISOString() } : {}),
      ...(info ? { info } : {}),
    };
  }

  /** The ID force-unlock takes for a holder: its lock info's, else its session's. */
  private static holderId(h: Holder): string {
    return h.info?.ID ?? `pg-backend-${h.pid}`;
  }

  private lockedDiagnostic(workspace: string, key: bigint, h: Holder | undefined): Diagnostic {
    const id = h ? PgBackend.holderId(h) : '<ID>';
    const session = h
      ? `PostgreSQL session pid ${h.pid} (user ${h.user ?? '?'}, application ` +
        `${h.application || '?'}${h.address ? `, from ${h.address}` : ''}${h.since ? `, connected ${h.since}` : ''})`
      : 'a session that has just ended';
    const who = h?.info?.Who ?? (h ? `${h.application || 'a client'} (pid ${h.pid})` : 'unknown');
    const lines = lockInfoLines(id, h?.info ?? { Who: who }, this.describe(workspace));
    lines.push(
      `The lock is advisory lock ${key} held by ${session}` +
        (key === CREATION_KEY ? ' (the workspace is being created).' : '.'),
      'It is released when that run finishes or its connection ends (a crashed run never ' +
        'leaves it behind). Wait for it, or retry with -lock-timeout=DURATION.',
      `If that session is stuck, end it with: cmek force-unlock ${id}`,
    );
    return diag(
      'STATE_LOCKED',
      `Error acquiring the state lock (held by ${who})`,
      lines.join('\n'),
    );
  }

  async lock(workspace: string, req: LockRequest): Promise<BackendLock> {
    if (this.held.has(workspace))
      throw new Error(`pg backend: workspace ${workspace} is already locked by this process`);
    const start = Date.now();
    const deadline = start + req.timeoutMs;
    let delay = 50;
    let vanished = 0;
    for (;;) {
      const r = await this.use(workspace, 'Locking the state', async (c) => {
        const t = await this.tryLock(c, workspace);
        if (t.got) {
          const info = newLockInfo({
            operation: req.operation,
            path: this.describe(workspace),
            version: req.version,
          });
          this.held.set(workspace, t.key);
          await this.recordHolder(c, workspace, info);
          return { info, key: t.key };
        }
        if (Date.now() < deadline) return undefined;
        // Every lock attempt holds -1 for an instant (Terraform's scheme), so concurrent runs on
        // other workspaces of the schema collide on it briefly: retry that for a short grace
        // even without -lock-timeout; a workspace really being created still holds it longer.
        if (t.key === CREATION_KEY && Date.now() < start + CREATION_GRACE_MS) return undefined;
        const h = await this.holder(c, t.key, workspace);
        // Released between the two queries: try again, a few times.
        if (!h && ++vanished < 5) return undefined;
        throw new DiagnosticError(this.lockedDiagnostic(workspace, t.key, h));
      });
      if (r) return this.heldLock(workspace, r.key, r.info);
      const until = Math.max(deadline, start + CREATION_GRACE_MS);
      await sleep(Math.min(delay, Math.max(1, until - Date.now())));
      delay = Math.min(delay * 2, 500);
    }
  }

  private async recordHolder(c: Client, workspace: string, info: LockInfo): Promise<void> {
    if (this.settings.skip_table_creation) {
      const t = await c.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
        this.locks,
      ]);
      if (!t.rows[0]!.ok) return;
    }
    await c.query(
      `INSERT INTO ${this.locks} (name, pid, info) VALUES ($1, pg_backend_pid(), $2)
       ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, info = excluded.info`,
      [workspace, JSON.stringify(info)],
    );
  }

  private heldLock(workspace: string, key: bigint, info: LockInfo): BackendLock {
    let released = false;
    return {
      info,
      release: async () => {
        if (released) return;
        released = true;
        const session = this.session;
        this.held.delete(workspace);
        if (this.lost) {
          if (!this.held.size) this.lost = false; // the lock went with its session
          return;
        }
        if (!session) return;
        try {
          const c = await session;
          PgBackend.socketOf(c)?.ref();
          try {
            await c
              .query(`DELETE FROM ${this.locks} WHERE name = $1 AND pid = pg_backend_pid()`, [
                workspace,
              ])
              .catch(() => undefined);
            await c.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
          } finally {
            if (this.inflight === 0) PgBackend.socketOf(c)?.unref();
          }
        } catch {
          // The session is gone (force-unlocked, server restart): so is its lock.
        }
      },
    };
  }

  forceUnlock(workspace: string, id: string): Promise<ForceUnlockResult> {
    return this.use(workspace, 'Unlocking the state', async (c) => {
      const r = await c.query<{ id: string }>(`SELECT id FROM ${this.table} WHERE name = $1`, [
        workspace,
      ]);
      const keys = [...(r.rows[0] ? [BigInt(r.rows[0].id)] : []), CREATION_KEY];
      const holders: Holder[] = [];
      for (const k of keys) {
        const h = await this.holder(c, k, workspace);
        if (h) holders.push(h);
      }
      const match = holders.find((h) => PgBackend.holderId(h) === id);
      if (!match) {
        if (!holders.length) return { kind: 'none' as const, where: this.describe(workspace) };
        return {
          kind: 'mismatch' as const,
          detail: `${holders
            .map(
              (h) =>
                `${this.describe(workspace)} is locked with ID ${PgBackend.holderId(h)} (session pid ${h.pid}).`,
            )
            .join('\n')}\nPass that ID to force-unlock.`,
        };
      }
      await c.query('SELECT pg_terminate_backend($1)', [match.pid]);
      await c.query(`DELETE FROM ${this.locks} WHERE pid = $1`, [match.pid]).catch(() => undefined);
      return {
        kind: 'removed' as const,
        what: `cmek state (${this.describe(workspace)}; session pid ${match.pid} ended)`,
      };
    });
  }

  workspaces(): Promise<string[]> {
    return this.use('', 'Listing the workspaces', async (c) => {
      const r = await c.query<{ name: string }>(
        `SELECT name FROM ${this.table} WHERE name != 'default' ORDER BY name`,
      );
      return [DEFAULT_WORKSPACE, ...r.rows.map((x) => x.name)];
    });
  }

  /** As terraform: a new workspace gets an empty state row (under the creation lock), so that
   * it is listed. */
  async createWorkspace(name: string, emptyStateText: string): Promise<void> {
    const lock = await this.lock(name, { operation: 'init', timeoutMs: 10_000, version: '' });
    try {
      await this.use(name, 'Creating the workspace', async (c) => {
        await c.query(
          `INSERT INTO ${this.table} (name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
          [name, emptyStateText],
        );
      });
    } finally {
      await lock.release();
    }
  }

  deleteWorkspace(name: string): Promise<void> {
    return this.use(name, 'Deleting the workspace', async (c) => {
      await c.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
      await c.query(`DELETE FROM ${this.locks} WHERE name = $1`, [name]).catch(() => undefined);
    });
  }
}
