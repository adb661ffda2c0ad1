// Which state backend and workspace a working directory uses. The backend block of the
// configuration says the type and its settings; `cmek init` records what it set up (the
// -backend-config values and a digest of the block) in `.cmek/backend/backend.json`, and the
// selected workspace in `.cmek/backend/environment` (terraform keeps both under .terraform/;
// cmek uses its own directory so that terraform and cmek can share a working directory
// without overwriting each other's records). Settings missing from both come from the
// environment: PG_CONN_STR, PG_SCHEMA_NAME, PG_SKIP_SCHEMA_CREATION, PG_SKIP_TABLE_CREATION,
// PG_SKIP_INDEX_CREATION, as terraform reads them; TF_WORKSPACE overrides the selection.
// See docs/backends.md.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { writeFileAtomicSync } from '../../support/atomic.js';
import { LocalBackend } from './local.js';
import { PG_DEFAULT_SCHEMA, PgBackend, type PgSettings } from './pg.js';
import {
  DEFAULT_WORKSPACE,
  workspaceNameProblem,
  type BackendType,
  type StateBackend,
} from './types.js';

export * from './types.js';
export { LocalBackend, LOCAL_WORKSPACE_DIR } from './local.js';
export { PgBackend, PG_DEFAULT_SCHEMA, redactConnStr, type PgSettings } from './pg.js';

export type BackendValues = Record<string, string | boolean>;

/** The backend block of a configuration (no block: local with its default path). */
export interface ConfiguredBackend {
  type: BackendType;
  settings: BackendValues;
}

/** The backend block of a loaded configuration (`Config.backend`) as a ConfiguredBackend. */
export function configuredBackend(
  b: { type: BackendType; path: string; settings?: BackendValues } | undefined,
): ConfiguredBackend {
  if (!b) return { type: 'local', settings: {} };
  if (b.type === 'local')
    return { type: 'local', settings: b.path !== 'terraform.tfstate' ? { path: b.path } : {} };
  return { type: b.type, settings: b.settings ?? {} };
}

/** What `cmek init` recorded. */
export interface InitRecord {
  type: BackendType;
  /** The settings init used: the block's, completed by the -backend-config values. */
  config: BackendValues;
  /** Digest of the backend block as it was at init: a change asks for init again. */
  digest: string;
}

/** cmek's own record directory in the working directory. */
export const BACKEND_META_DIR = join('.cmek', 'backend');

export function recordPath(dir: string): string {
  return resolve(dir, BACKEND_META_DIR, 'backend.json');
}

export function environmentPath(dir: string): string {
  return resolve(dir, BACKEND_META_DIR, 'environment');
}

export function backendDigest(b: ConfiguredBackend): string {
  const sorted = Object.fromEntries(
    Object.entries(b.settings).sort(([a], [c]) => (a < c ? -1 : 1)),
  );
  return createHash('sha256')
    .update(JSON.stringify({ type: b.type, settings: sorted }))
    .digest('hex')
    .slice(0, 16);
}

export function readInitRecord(dir: string): InitRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordPath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const r = JSON.parse(text) as Partial<InitRecord>;
    if ((r.type === 'local' || r.type === 'pg') && r.config && typeof r.digest === 'string')
      return r as InitRecord;
  } catch {
    /* reported below */
  }
  throw new DiagnosticError(
    diag(
      'BACKEND_INIT_REQUIRED',
      `The backend record ${recordPath(dir)} cannot be read`,
      'Run cmek init -reconfigure to set the backend up again (the state itself is not in that file).',
      { file: recordPath(dir) },
    ),
  );
}

/** Record the backend `cmek init` set up. The file may hold a connection string with a
 * password (given with -backend-config), so it is readable by its owner only. */
export function writeInitRecord(dir: string, record: InitRecord): void {
  mkdirSync(resolve(dir, BACKEND_META_DIR), { recursive: true });
  writeFileAtomicSync(recordPath(dir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** The selected workspace: TF_WORKSPACE, else the one `cmek workspace select` recorded. */
export function selectedWorkspace(
  dir: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const fromEnv = env.TF_WORKSPACE?.trim();
  if (fromEnv) return fromEnv;
  try {
    const name = readFileSync(environmentPath(dir), 'utf8').trim();
    return name || DEFAULT_WORKSPACE;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_WORKSPACE;
    throw e;
  }
}

export function selectWorkspace(dir: string, name: string): void {
  mkdirSync(resolve(dir, BACKEND_META_DIR), { recursive: true });
  writeFileAtomicSync(environmentPath(dir), name);
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return v === 'true' || v === '1';
}

/** The pg settings: the block, then -backend-config values, then the environment. */
export function pgSettings(
  values: BackendValues,
  env: Record<string, string | undefined> = process.env,
): PgSettings {
  const str = (k: string, e: string) =>
    typeof values[k] === 'string' ? (values[k] as string) : env[e];
  const bool = (k: string, e: string) =>
    typeof values[k] === 'boolean' ? (values[k] as boolean) : (envBool(env[e]) ?? false);
  const conn = str('conn_str', 'PG_CONN_STR');
  if (!conn)
    throw new DiagnosticError(
      diag(
        'BACKEND_ERROR',
        'The pg backend has no conn_str',
        'Set it in the backend "pg" block, with cmek init -backend-config=conn_str=postgres://..., ' +
          'or in the PG_CONN_STR environment variable (which keeps the password out of files).',
      ),
    );
  return {
    conn_str: conn,
    schema_name: str('schema_name', 'PG_SCHEMA_NAME') || PG_DEFAULT_SCHEMA,
    skip_schema_creation: bool('skip_schema_creation', 'PG_SKIP_SCHEMA_CREATION'),
    skip_table_creation: bool('skip_table_creation', 'PG_SKIP_TABLE_CREATION'),
    skip_index_creation: bool('skip_index_creation', 'PG_SKIP_INDEX_CREATION'),
  };
}

/** A backend of `type` with these values (block + -backend-config), for init and migration. */
export function makeBackend(
  dir: string,
  type: BackendType,
  values: BackendValues,
  env: Record<string, string | undefined> = process.env,
): StateBackend {
  if (type === 'local')
    return new LocalBackend(dir, typeof values.path === 'string' ? values.path : undefined);
  const settings = pgSettings(values, env);
  // One backend (so one PostgreSQL session) per settings in a process: plan then apply in one
  // command, or many operations of a library user, connect once.
  const key = JSON.stringify(settings);
  let b = pgBackends.get(key);
  if (!b) pgBackends.set(key, (b = new PgBackend(settings)));
  return b;
}

const pgBackends = new Map<string, PgBackend>();

function initRequired(summary: string, detail: string): DiagnosticError {
  return new DiagnosticError(diag('BACKEND_INIT_REQUIRED', summary, detail));
}

/** The backend a working directory uses now: the configuration's, as `cmek init` set it up.
 * Throws DiagnosticError when init is needed or a setting is missing. */
export function openBackend(
  dir: string,
  configured: ConfiguredBackend,
  env: Record<string, string | undefined> = process.env,
): { backend: StateBackend; workspace: string } {
  const record = readInitRecord(dir);
  const workspace = selectedWorkspace(dir, env);
  const bad = workspaceNameProblem(workspace);
  if (bad)
    throw new DiagnosticError(
      diag(
        'WORKSPACE_ERROR',
        'The selected workspace name is invalid',
        `${bad} Check TF_WORKSPACE.`,
      ),
    );
  // The local backend works without init, as it always did.
  if (configured.type === 'local' && (!record || record.type === 'local'))
    return { backend: makeBackend(dir, 'local', configured.settings, env), workspace };
  if (!record)
    throw initRequired(
      `Backend "${configured.type}" is not initialized`,
      'The configuration declares a state backend that cmek init has not set up in this ' +
        'directory. Run cmek init (add -migrate-state to copy an existing local state into it).',
    );
  if (record.type !== configured.type || record.digest !== backendDigest(configured))
    throw initRequired(
      'The backend configuration changed since cmek init',
      `cmek init set up backend "${record.type}"; the configuration now declares backend ` +
        `"${configured.type}"${record.type === configured.type ? ' with other settings' : ''}. ` +
        'Run cmek init -migrate-state to copy the states over, or cmek init -reconfigure to ' +
        'use the new backend as it is. No state was read or written.',
    );
  return {
    backend: makeBackend(dir, configured.type, record.config, env),
    workspace,
  };
}

/** A diagnostic about the backend or the workspace selection (not the configuration). */
export function isBackendDiagnostic(d: Diagnostic): boolean {
  return d.code.startsWith('BACKEND_') || d.code === 'WORKSPACE_ERROR';
}

/** The diagnostics of `fn`, or its value. */
export async function backendCall<T>(
  fn: () => Promise<T>,
): Promise<{ value?: T; diagnostics: Diagnostic[] }> {
  try {
    return { value: await fn(), diagnostics: [] };
  } catch (e) {
    if (e instanceof DiagnosticError) return { diagnostics: e.diagnostics };
    throw e;
  }
}
