// Choosing the backend of a working directory (no server needed): the local default and its
// `path`, workspaces as terraform.tfstate.d/NAME, the init record and its digest (a pg block
// needs init, a changed block needs it again), TF_WORKSPACE, and names that are refused.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  backendDigest,
  configuredBackend,
  LocalBackend,
  openBackend,
  PgBackend,
  recordPath,
  selectWorkspace,
  writeInitRecord,
} from '../../src/engine/backend/index.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cmek-open-backend-'));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!.code;
    throw e;
  }
  return 'none';
}

describe('openBackend', () => {
  it("local by default, with the block's path; other workspaces under terraform.tfstate.d", async () => {
    const dir = tmp();
    const { backend, workspace } = openBackend(dir, configuredBackend(undefined), {});
    expect(workspace).toBe('default');
    expect(backend).toBeInstanceOf(LocalBackend);
    expect((backend as LocalBackend).statePath('default')).toBe(join(dir, 'terraform.tfstate'));
    const custom = openBackend(
      dir,
      configuredBackend({ type: 'local', path: 'state/x.tfstate' }),
      {},
    ).backend as LocalBackend;
    expect(custom.statePath('default')).toBe(join(dir, 'state', 'x.tfstate'));
    expect(custom.statePath('dev')).toBe(
      join(dir, 'terraform.tfstate.d', 'dev', 'terraform.tfstate'),
    );
    await custom.createWorkspace('dev', '');
    await custom.write('dev', 'text');
    expect(await custom.workspaces()).toEqual(['default', 'dev']);
    expect(await custom.read('dev')).toBe('text');
    await custom.deleteWorkspace('dev');
    expect(await custom.workspaces()).toEqual(['default']);
  });

  it('a pg block needs init; a changed block needs it again; the record is owner-only', () => {
    const dir = tmp();
    const pg = configuredBackend({
      type: 'pg',
      path: 'terraform.tfstate',
      settings: { schema_name: 'a' },
    });
    expect(code(() => openBackend(dir, pg, { PG_CONN_STR: 'postgres://h/db' }))).toBe(
      'BACKEND_INIT_REQUIRED',
    );
    writeInitRecord(dir, {
      type: 'pg',
      config: { ...pg.settings, conn_str: 'postgres://u:p@h/db' },
      digest: backendDigest(pg),
    });
    expect(statSync(recordPath(dir)).mode & 0o777).toBe(0o600);
    expect(openBackend(dir, pg, {}).backend).toBeInstanceOf(PgBackend);
    const changed = configuredBackend({
      type: 'pg',
      path: 'terraform.tfstate',
      settings: { schema_name: 'b' },
    });
    expect(code(() => openBackend(dir, changed, {}))).toBe('BACKEND_INIT_REQUIRED');
    // Back to local without init -migrate-state: refused too (the state is in pg).
    expect(code(() => openBackend(dir, configuredBackend(undefined), {}))).toBe(
      'BACKEND_INIT_REQUIRED',
    );
    expect(readFileSync(recordPath(dir), 'utf8')).toContain('"type": "pg"');
  });

  it('the selection, TF_WORKSPACE over it, and refused names', () => {
    const dir = tmp();
    selectWorkspace(dir, 'staging');
    expect(openBackend(dir, configuredBackend(undefined), {}).workspace).toBe('staging');
    expect(openBackend(dir, configuredBackend(undefined), { TF_WORKSPACE: 'prod' }).workspace).toBe(
      'prod',
    );
    expect(
      code(() => openBackend(dir, configuredBackend(undefined), { TF_WORKSPACE: '../x' })),
    ).toBe('WORKSPACE_ERROR');
  });
});
