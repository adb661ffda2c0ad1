// The PostgreSQL examples of docs/backends.md and docs/cli/init.md, run as written (a ```sh
// block under "## Example" / after it) with bash in a copy of examples/quickstart, `cmek` on
// PATH being the real built CLI, and the page's PG_CONN_STR replaced by a REAL server's.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, ROOT } from '../e2e/harness.js';
import { createDatabase, startPostgres, type PgServer } from './pg-server.js';

const started = await startPostgres();
const server: PgServer | undefined = 'skip' in started ? undefined : started;
const skip = 'skip' in started ? started.skip : '';
if (skip) console.warn(`SKIPPED the pg examples of the docs: ${skip}`);

afterAll(async () => {
  await server?.stop();
}, 60_000);

function shBlock(page: string): string {
  const text = readFileSync(join(ROOT, 'docs', page), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(text.indexOf('## Example')))?.[1];
  expect(block, `${page} has a sh example`).toBeTruthy();
  return block!;
}

function runScript(dir: string, script: string, url: string) {
  const bin = mkdtempSync(join(tmpdir(), 'cmek-bin-'));
  writeFileSync(join(bin, 'cmek'), `#!/bin/sh\nexec "${process.execPath}" "${cliBin()}" "$@"\n`);
  chmodSync(join(bin, 'cmek'), 0o755);
  const replaced = script.replace(/^export PG_CONN_STR=.*$/m, `export PG_CONN_STR='${url}'`);
  expect(replaced).not.toBe(script);
  return spawnSync('bash', ['-euo', 'pipefail', '-c', replaced], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
    timeout: 240_000,
  });
}

async function names(url: string, schema: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ name: string }>(`SELECT name FROM ${schema}.states ORDER BY name`);
    return r.rows.map((x) => x.name);
  } finally {
    await c.end();
  }
}

describe.skipIf(!server)(`pg examples of the docs${skip ? ` SKIPPED: ${skip}` : ''}`, () => {
  it('docs/backends.md: a local quickstart moves to PostgreSQL and gets a workspace', async () => {
    const url = await createDatabase(server!, `d1_${process.pid}`);
    const dir = copyExample('quickstart');
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const r = runScript(dir, shBlock('backends.md'), url);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Copied the state of workspace "default"');
    expect(r.stdout).toContain('* staging');
    expect(await names(url, 'cmek_quickstart')).toEqual(['default', 'staging']);
  }, 300_000);

  it('docs/cli/init.md: to PostgreSQL and back with nothing lost', async () => {
    const url = await createDatabase(server!, `d2_${process.pid}`);
    const dir = copyExample('quickstart');
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const before = readFileSync(join(dir, 'terraform.tfstate'), 'utf8');
    const r = runScript(dir, shBlock('cli/init.md'), url);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await names(url, 'terraform_remote_state')).toEqual(['default']);
    expect(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).toBe(before);
    const plan = cmek(dir, ['plan', '-detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);
});
