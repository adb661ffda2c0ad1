// `cmek kms` through the real CLI (tsx on src/cli/main.cts) in a temporary directory.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cmek-kms-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cmek(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.cts', `-chdir=${dir}`, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => ok({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('cmek kms', () => {
  it('drives a key through its life and reports errors as diagnostics', async () => {
    const created = await cmek(
      'kms',
      'create',
      '--region',
      'eu-west-1',
      '--alias',
      'alias/app',
      '-json',
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { key_id: string; arn: string; aliases: string[] };
    expect(key.aliases).toEqual(['alias/app']);

    const ls = await cmek('kms', 'ls');
    expect(ls.stdout).toMatch(
      new RegExp(`${key.key_id}\\s+eu-west-1\\s+Enabled\\s+1\\s+alias/app`),
    );

    // Another principal gets only what the key policy (here the default) grants it.
    const denied = await cmek(
      'kms',
      'disable',
      key.arn,
      '--principal',
      'arn:aws:iam::576599896960:role/x',
    );
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'AccessDeniedException: User: arn:aws:iam::576599896960:role/x is not authorized to perform: kms:DisableKey',
    );

    const disabled = await cmek('kms', 'disable', 'alias/app', '--json');
    expect(JSON.parse(disabled.stdout)).toMatchObject({
      key_state: 'Disabled',
      primary_version: '1',
    });

    const bad = await cmek('kms', 'schedule-deletion', key.key_id, '--pending-window-in-days', '6');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('KMS_ERROR: ValidationException');

    const pending = await cmek(
      'kms',
      'schedule-deletion',
      key.key_id,
      '-pending-window-in-days=7',
      '-json',
    );
    expect(JSON.parse(pending.stdout)).toMatchObject({
      key_state: 'PendingDeletion',
      pending_window_in_days: 7,
    });

    const purged = await cmek('kms', 'purge', '-json');
    expect(JSON.parse(purged.stdout)).toEqual({ destroyed: [key.arn] });

    const gone = await cmek('kms', 'describe', key.key_id, '-json');
    expect(JSON.parse(gone.stdout)).toMatchObject({
      key_state: 'Destroyed',
      primary_version: null,
    });
    const missing = await cmek('kms', 'describe', 'alias/app');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/KMS_ERROR: NotFoundException/);
  });
});
