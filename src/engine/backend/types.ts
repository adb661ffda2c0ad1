// The state backend interface: where the state of each workspace lives, how it is read, written
// (atomically: a reader or a crash never sees half a state) and locked. Two implementations:
// `local` (files, ./local.ts) and `pg` (PostgreSQL, laid out as Terraform's pg backend, ./pg.ts).
// The engine only talks to this interface (docs/backends.md).
import type { LockInfo } from '../../support/lock.js';

/** The backend types cmek implements. */
export const BACKEND_TYPES = ['local', 'pg'] as const;
export type BackendType = (typeof BACKEND_TYPES)[number];

/** The settings each backend type accepts in its block and in -backend-config. */
export const BACKEND_SETTINGS: Record<BackendType, Record<string, 'string' | 'bool'>> = {
  local: { path: 'string' },
  pg: {
    conn_str: 'string',
    schema_name: 'string',
    skip_schema_creation: 'bool',
    skip_table_creation: 'bool',
    skip_index_creation: 'bool',
  },
};

/** The workspace every backend has, that cannot be deleted. */
export const DEFAULT_WORKSPACE = 'default';

export interface LockRequest {
  operation: string;
  /** Wait up to this long for a held lock (ms). 0: fail at once with STATE_LOCKED. */
  timeoutMs: number;
  /** The cmek version written into the lock info. */
  version: string;
}

/** A held state lock; `release` is idempotent and never throws for a lock already gone. */
export interface BackendLock {
  readonly info: LockInfo;
  release(): Promise<void>;
}

/** What `force-unlock ID` did. */
export type ForceUnlockResult =
  | { kind: 'removed'; what: string }
  | { kind: 'none'; where: string }
  | { kind: 'mismatch'; detail: string };

export interface StateBackend {
  /** `local` or `pg`. */
  readonly type: string;
  /** Where a workspace's state lives, for messages. Never contains a password. */
  describe(workspace: string): string;
  /** The state text of a workspace; undefined when it has none yet. */
  read(workspace: string): Promise<string | undefined>;
  /** Replace the state of a workspace, all or nothing. */
  write(workspace: string, text: string): Promise<void>;
  /** Keep `prior` (the state before this run) where the backend keeps one (local:
   * `<state>.backup`); a no-op where it keeps none. */
  backup(workspace: string, prior: string): Promise<void>;
  /** Take the workspace's lock or throw DiagnosticError(STATE_LOCKED) naming the holder. */
  lock(workspace: string, req: LockRequest): Promise<BackendLock>;
  /** Break the lock whose ID is `id` (a stuck or crashed holder). */
  forceUnlock(workspace: string, id: string): Promise<ForceUnlockResult>;
  /** Every workspace, `default` first, the others sorted by name. */
  workspaces(): Promise<string[]>;
  /** Make a workspace exist; a backend that needs a state to list it (pg) writes
   * `emptyStateText`. */
  createWorkspace(name: string, emptyStateText: string): Promise<void>;
  /** Remove a workspace and its state. Never called for `default`. */
  deleteWorkspace(name: string): Promise<void>;
}

/** Terraform's rule for workspace names: they end up in paths and URLs, so only letters,
 * digits and `-_.`, not starting with a dot. */
export function workspaceNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name))
    return `Workspace name "${name}" is not allowed: use letters, digits, "-", "_" and "." (not first).`;
  return undefined;
}
