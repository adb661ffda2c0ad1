// The `local` state backend: Terraform's file layout, byte for byte what cmek always wrote.
// The default workspace's state is `terraform.tfstate` (or backend "local" { path }), the others
// are `terraform.tfstate.d/NAME/terraform.tfstate`; a workspace exists when its directory does.
// Writes are atomic (temp file, fsync, rename), the state before a run is kept as
// `<state>.backup`, and the lock is the `.terraform.tfstate.lock.info` file beside the state.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../support/atomic.js';
import { acquireLock, lockPath, unlockMismatch, unlockPath } from './local-lock.js';
import { DEFAULT_WORKSPACE, type ForceUnlockResult, type StateBackend } from './types.js';

/** Where terraform (and cmek) keep the non-default workspaces of the local backend. */
export const LOCAL_WORKSPACE_DIR = 'terraform.tfstate.d';

export class LocalBackend implements StateBackend {
  readonly type = 'local';
  readonly dir: string;
  /** The default workspace's state file, absolute. */
  readonly defaultPath: string;

  constructor(dir: string, path = 'terraform.tfstate') {
    this.dir = resolve(dir);
    this.defaultPath = resolve(this.dir, path);
  }

  /** The state file of a workspace (absolute). */
  statePath(workspace: string): string {
    if (workspace === DEFAULT_WORKSPACE) return this.defaultPath;
    return join(this.dir, LOCAL_WORKSPACE_DIR, workspace, 'terraform.tfstate');
  }

  describe(workspace: string): string {
    return this.statePath(workspace);
  }

  read(workspace: string): Promise<string | undefined> {
    try {
      return Promise.resolve(readFileSync(this.statePath(workspace), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(undefined);
      return Promise.reject(e as Error);
    }
  }

  write(workspace: string, text: string): Promise<void> {
    const path = this.statePath(workspace);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomicSync(path, text);
    return Promise.resolve();
  }

  backup(workspace: string, prior: string): Promise<void> {
    const path = this.statePath(workspace);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomicSync(`${path}.backup`, prior);
    return Promise.resolve();
  }

  async lock(workspace: string, req: { operation: string; timeoutMs: number; version: string }) {
    const lock = await acquireLock(this.statePath(workspace), req);
    return {
      info: lock.info,
      release: () => {
        lock.release();
        return Promise.resolve();
      },
    };
  }

  forceUnlock(workspace: string, id: string): Promise<ForceUnlockResult> {
    const path = lockPath(this.statePath(workspace));
    const r = unlockPath(path, id);
    if (r.kind === 'removed') return Promise.resolve({ kind: 'removed', what: 'cmek state' });
    if (r.kind === 'none') return Promise.resolve({ kind: 'none', where: path });
    return Promise.resolve({ kind: 'mismatch', detail: unlockMismatch(id, [r], [path]).detail });
  }

  workspaces(): Promise<string[]> {
    const root = join(this.dir, LOCAL_WORKSPACE_DIR);
    let names: string[] = [];
    try {
      names = readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return Promise.resolve([
      DEFAULT_WORKSPACE,
      ...names.filter((n) => n !== DEFAULT_WORKSPACE).sort(),
    ]);
  }

  /** A local workspace exists when its directory does (no state file until the first write,
   * as with terraform). */
  createWorkspace(name: string, _emptyStateText?: string): Promise<void> {
    if (name !== DEFAULT_WORKSPACE) mkdirSync(dirname(this.statePath(name)), { recursive: true });
    return Promise.resolve();
  }

  deleteWorkspace(name: string): Promise<void> {
    const dir = dirname(this.statePath(name));
    if (basename(dirname(dir)) === LOCAL_WORKSPACE_DIR)
      rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  }
}
