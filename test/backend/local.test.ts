// The local backend through the real CLI: the default stays terraform.tfstate (no init needed,
// nothing else written), workspaces are terraform.tfstate.d/NAME/terraform.tfstate and isolated,
// terraform.workspace names them, TF_WORKSPACE overrides the selection, and a pg block without
// init is refused with BACKEND_INIT_REQUIRED before any state is touched.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmek, copyExample } from '../e2e/harness.js';

function ok(r: { code: number; stdout: string; stderr: string }) {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

describe('local backend and workspaces (real CLI)', () => {
  it('workspaces are isolated files; terraform.workspace names them; TF_WORKSPACE overrides', () => {
    const dir = copyExample('quickstart');
    writeFileSync(
      join(dir, 'main.tf'),
      readFileSync(join(dir, 'main.tf'), 'utf8')
        .replace('name    = "orders"', 'name    = "orders-${terraform.workspace}"')
        .replace('"alias/quickstart-orders"', '"alias/quickstart-orders-${terraform.workspace}"'),
    );
    ok(cmek(dir, ['apply', '-auto-approve']));
    expect(existsSync(join(dir, '.cmek', 'backend'))).toBe(false); // nothing new without init
    const defaultState = readFileSync(join(dir, 'terraform.tfstate'), 'utf8');
    expect(defaultState).toContain('"orders-default"');
    ok(cmek(dir, ['workspace', 'new', 'dev']));
    expect(ok(cmek(dir, ['state', 'list'])).stdout).toBe('');
    ok(cmek(dir, ['apply', '-auto-approve']));
    const dev = readFileSync(join(dir, 'terraform.tfstate.d', 'dev', 'terraform.tfstate'), 'utf8');
    expect(dev).toContain('"orders-dev"');
    expect(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).toBe(defaultState);
    expect(ok(cmek(dir, ['workspace', 'list'])).stdout).toBe('  default\n* dev\n');
    // TF_WORKSPACE wins over the recorded selection, for every verb.
    const out = ok(
      cmek(dir, ['output', '-raw', 'service_id'], { env: { TF_WORKSPACE: 'default' } }),
    );
    expect(defaultState).toContain(out.stdout.trim());
    const sel = cmek(dir, ['workspace', 'select', 'default'], { env: { TF_WORKSPACE: 'dev' } });
    expect(sel.code).toBe(1);
    expect(sel.stderr).toContain('TF_WORKSPACE');
    const bad = cmek(dir, ['workspace', 'new', '../x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('WORKSPACE_ERROR');
    ok(cmek(dir, ['workspace', 'select', 'default']));
    const del = cmek(dir, ['workspace', 'delete', 'dev']);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('not empty');
    ok(cmek(dir, ['workspace', 'delete', '-force', 'dev']));
    expect(existsSync(join(dir, 'terraform.tfstate.d', 'dev'))).toBe(false);
    expect(ok(cmek(dir, ['plan', '-detailed-exitcode'])).code).toBe(0);
  }, 300_000);

  it('a pg block without cmek init is refused before any state is read or written', () => {
    const dir = copyExample('quickstart');
    writeFileSync(join(dir, 'backend.tf'), 'terraform {\n  backend "pg" {}\n}\n');
    const r = cmek(dir, ['apply', '-auto-approve'], { env: { PG_CONN_STR: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('BACKEND_INIT_REQUIRED');
    expect(r.stderr).toContain('cmek init');
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(join(dir, 'terraform.tfstate'))).toBe(false);
    // validate reads no state: it does not need init.
    ok(cmek(dir, ['validate']));
    const noConn = cmek(dir, ['init'], { env: { PG_CONN_STR: '' } });
    expect(noConn.code).toBe(1);
    expect(noConn.stderr).toContain('BACKEND_ERROR');
    expect(noConn.stderr).toContain('PG_CONN_STR');
  }, 300_000);
});
