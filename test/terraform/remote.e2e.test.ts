// The Terraform plugin against a shared control plane: the real `terraform` binary drives the
// plugin, whose provider block has `endpoint` (examples/team, docs/team.md), against a real
// `cmek server --listen`. What terraform creates lives on the server (the working directory keeps
// only the plugin's crash-recovery markers), the cmek CLI of another working directory writes and reads its data
// through the same server, a re-plan is empty, and destroy removes it from the server.
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  type Dirent,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cmek, copyExample, ROOT, startCmekServer, type CmekServer } from '../e2e/harness.js';
import { haveTerraform, tf, tfInit, REQUIRED_PROVIDERS } from './support.js';

const HAVE = haveTerraform();
const ALICE = { CMEK_ACCESS_KEY_ID: 'AKIDALICE', CMEK_SECRET_ACCESS_KEY: 'alice-secret-change-me' };

let srv: CmekServer | undefined;

afterAll(async () => {
  const p = srv?.proc;
  if (p && p.exitCode === null) {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
});

/** Files under DIR/.cmek, relative to it. */
function localFiles(dir: string): string[] {
  const root = join(dir, '.cmek');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const names = (json: string) => (JSON.parse(json) as Array<{ name: string }>).map((s) => s.name);

describe.skipIf(!HAVE)('terraform with provider endpoint = cmek server (terraform present)', () => {
  it('apply through the server, data from the cmek CLI, empty re-plan, destroy', async () => {
    srv = await startCmekServer();
    const dir = mkdtempSync(join(tmpdir(), 'cmek-tf-remote-'));
    cpSync(join(ROOT, 'examples/team/main.tf'), join(dir, 'main.tf'));
    writeFileSync(join(dir, 'versions.tf'), REQUIRED_PROVIDERS);
    // terraform passes its environment to the plugin: the credentials come from there.
    Object.assign(process.env, ALICE);
    const vars = [`-var=cmek_endpoint=${srv.url}`, '-var=team=tf'];

    expect((await tfInit(dir)).code).toBe(0);
    const apply = tf(dir, ['apply', '-auto-approve', '-input=false', ...vars]);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.stdout).toContain('Apply complete! Resources: 3 added');
    // Of the working directory's data directory only the plugin's crash-recovery markers are
    // used (which creates it finished, src/terraform/created.ts): no control plane, no KMS.
    expect(localFiles(dir).filter((f) => !f.startsWith('terraform/creates/'))).toEqual([]);
    const there = cmek(srv.dir, ['service', 'ls', '--json']);
    expect(names(there.stdout)).toEqual(['tf-orders']);

    // The cmek CLI of another working directory uses the service terraform created.
    const other = copyExample('team');
    const env = { ...ALICE, TF_VAR_cmek_endpoint: srv.url, TF_VAR_team: 'tf' };
    const body = randomBytes(1024 * 1024 + 5);
    writeFileSync(join(other, 'r.bin'), body);
    const put = cmek(other, ['data', 'put', 'tf-orders', 'r', 'r.bin'], { env });
    expect(put.code, put.stderr).toBe(0);
    const get = cmek(other, ['data', 'get', 'tf-orders', 'r', '-o', 'back.bin'], { env });
    expect(get.code, get.stderr).toBe(0);
    expect(readFileSync(join(other, 'back.bin')).equals(body)).toBe(true);

    const again = tf(dir, ['plan', '-detailed-exitcode', '-input=false', ...vars]);
    expect(again.code, again.out).toBe(0);
    expect(again.stdout).toContain('No changes.');

    const destroy = tf(dir, ['destroy', '-auto-approve', '-input=false', ...vars]);
    expect(destroy.code, destroy.out).toBe(0);
    expect(names(cmek(srv.dir, ['service', 'ls', '--json']).stdout)).toEqual([]);
    expect(localFiles(dir)).toEqual([]);
  }, 600_000);
});
