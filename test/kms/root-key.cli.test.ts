// Where the local KMS root key lives, through the real binary: outside the data directory, so a
// copied `.cmek/` decrypts nothing on its own; never regenerated for an existing keystore; one
// key for concurrent first runs; old data directories with `kms/root.key` keep working. Every
// process here gets its own HOME / XDG_DATA_HOME (never the real home).
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';

const CONFIG = `
provider "cmek" {
  data_dir = "state-data"
}

resource "cmek_kms_key" "k" {
  region = "eu-west-1"
  alias  = "alias/app"
}
`;

const dirs: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => void cliBin(), 300_000);

/** env for a user whose data home is `xdg`. */
const user = (xdg: string) => ({ XDG_DATA_HOME: xdg });

describe('the root key outside the data directory', () => {
  it('is created under XDG_DATA_HOME on first use, 0600 in a 0700 directory, with one stderr line', () => {
    const xdg = tmp('cmek-xdg-');
    const data = tmp('cmek-data-');
    const r = cmek(data, ['kms', 'create', '--region', 'eu-west-1', '--data-dir', '.'], {
      env: user(xdg),
    });
    expect(r.code, r.stderr).toBe(0);
    const id = readFileSync(join(data, 'kms', 'keystore-id'), 'utf8').trim();
    const key = join(xdg, 'cmek', 'root-keys', `${id}.key`);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(join(xdg, 'cmek', 'root-keys')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(data, 'kms')).sort()).toEqual(['keystore-id', 'keystore.json']);
    expect(r.stderr.trim().split('\n')).toEqual([
      `cmek: created the local KMS root key ${key} (mode 0600) for ${join(data, 'kms')}; back it up and keep it apart from the data: without it the keys there, and all data encrypted under them, cannot be recovered.`,
    ]);
    // Second run: no message.
    const again = cmek(data, ['kms', 'ls', '--data-dir', '.'], { env: user(xdg) });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });

  it('defaults to ~/.local/share without XDG_DATA_HOME', () => {
    const home = tmp('cmek-home-');
    const data = tmp('cmek-data-');
    const r = cmek(data, ['kms', 'create', '--region', 'eu-west-1', '--data-dir', '.'], {
      env: { HOME: home, XDG_DATA_HOME: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(home, '.local', 'share', 'cmek', 'root-keys'))).toHaveLength(1);
  });

  it('a copied data directory is noise for another user; a deleted root key is not regenerated', () => {
    const xdg = tmp('cmek-xdg-');
    const dir = tempDir({ 'main.tf': CONFIG });
    dirs.push(dir);
    expect(cmek(dir, ['apply', '-auto-approve'], { env: user(xdg) }).code).toBe(0);

    // The data directory copied elsewhere, opened by a user without the root key.
    const thief = tmp('cmek-xdg-');
    const copy = tmp('cmek-copy-');
    cpSync(join(dir, 'state-data'), join(copy, 'state-data'), { recursive: true });
    const stolen = cmek(copy, ['kms', 'ls', '--data-dir', 'state-data'], { env: user(thief) });
    expect(stolen.code).toBe(1);
    expect(stolen.stderr).toMatch(
      /CMEK_KMS_ROOT_KEY_MISSING: The local KMS in .* has keys but its root key is missing/,
    );
    expect(existsSync(join(thief, 'cmek'))).toBe(false);

    // The owner loses the root key file: plan says so with the code, the path and the remedy,
    // and creates no new key.
    const keys = join(xdg, 'cmek', 'root-keys');
    const [file] = readdirSync(keys);
    renameSync(join(keys, file!), join(xdg, 'backup.key'));
    const p = cmek(dir, ['plan'], { env: user(xdg) });
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('CMEK_KMS_ROOT_KEY_MISSING');
    expect(p.stderr).toContain(join(keys, file!));
    expect(p.stderr).toMatch(/Restore the root key file from your backup/);
    expect(p.stderr).not.toMatch(/Retry/);
    expect(readdirSync(keys)).toEqual([]);

    // CMEK_KMS_ROOT_KEY_FILE points at the backup: everything works again.
    const back = cmek(dir, ['plan', '-detailed-exitcode'], {
      env: { ...user(xdg), CMEK_KMS_ROOT_KEY_FILE: join(xdg, 'backup.key') },
    });
    expect(back.code, back.stderr).toBe(0);
  });

  it('concurrent first runs on one keystore agree on one root key', async () => {
    const xdg = tmp('cmek-xdg-');
    const data = tmp('cmek-data-');
    const run = (i: number) =>
      new Promise<number | null>((res) => {
        const c = spawn(
          process.execPath,
          [
            cliBin(),
            'kms',
            'create',
            '--region',
            'eu-west-1',
            '--alias',
            `alias/k${i}`,
            '--data-dir',
            '.',
          ],
          { cwd: data, env: { ...process.env, ...user(xdg) }, stdio: 'ignore' },
        );
        c.once('close', res);
      });
    expect(await Promise.all([0, 1, 2, 3].map(run))).toEqual([0, 0, 0, 0]);
    expect(
      readdirSync(join(xdg, 'cmek', 'root-keys')).filter((f) => f.endsWith('.key')),
    ).toHaveLength(1);
    const ls = cmek(data, ['kms', 'ls', '--json', '--data-dir', '.'], { env: user(xdg) });
    expect(JSON.parse(ls.stdout)).toHaveLength(4);
  });

  it('an old data directory with kms/root.key works, warns once how to move it, and works after the move', () => {
    const xdg = tmp('cmek-xdg-');
    const data = tmp('cmek-data-');
    // Make one as older versions did: the root key beside the keystore.
    mkdirSync(join(data, 'kms'), { recursive: true });
    const legacyKey = join(data, 'kms', 'root.key');
    const env = { CMEK_KMS_ROOT_KEY_FILE: legacyKey };
    expect(
      cmek(data, ['kms', 'create', '--region', 'eu-west-1', '--data-dir', '.'], { env }).code,
    ).toBe(0);
    rmSync(join(data, 'kms', 'keystore-id'), { force: true });

    const r = cmek(data, ['kms', 'ls', '--data-dir', '.'], { env: user(xdg) });
    expect(r.code, r.stderr).toBe(0);
    const warning = r.stderr.trim().split('\n');
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /warning: the local KMS root key .*root\.key sits beside the data it protects/,
    );
    const mv = /(mkdir -p -m 700 \S+) && mv (\S+) (\S+)$/.exec(warning[0]!)!;
    expect(mv[2]).toBe(legacyKey);
    mkdirSync(join(xdg, 'cmek', 'root-keys'), { recursive: true, mode: 0o700 });
    renameSync(mv[2]!, mv[3]!);
    const after = cmek(data, ['kms', 'ls', '--data-dir', '.'], { env: user(xdg) });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toBe('');
    expect(after.stdout).toMatch(/eu-west-1\s+Enabled/);
  });
});

describe('cmek kms finds the data directory as plan/apply do', () => {
  it("uses the provider block's data_dir (no second KMS under .cmek)", () => {
    const xdg = tmp('cmek-xdg-');
    const dir = tempDir({ 'main.tf': CONFIG });
    dirs.push(dir);
    expect(cmek(dir, ['apply', '-auto-approve'], { env: user(xdg) }).code).toBe(0);
    const ls = cmek(dir, ['kms', 'ls'], { env: user(xdg) });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/alias\/app/);
    expect(existsSync(join(dir, '.cmek'))).toBe(false);
    expect(readdirSync(join(xdg, 'cmek', 'root-keys'))).toHaveLength(1);
  });

  it('refuses a configuration whose provider uses AWS KMS', () => {
    const dir = tempDir({
      'main.tf':
        'provider "cmek" {\n  kms {\n    aws {\n      region = "eu-west-1"\n    }\n  }\n}\n',
    });
    dirs.push(dir);
    const r = cmek(dir, ['kms', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /USAGE: The provider block uses AWS KMS: `cmek kms` operates the local KMS only/,
    );
    expect(existsSync(join(dir, '.cmek'))).toBe(false);
  });
});
