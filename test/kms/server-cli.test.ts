// The `cmek kms serve` verb as a user runs it: a real process, default credentials, clean
// shutdown on SIGINT/SIGTERM, and clear failures for bad arguments.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AwsKms } from '../../src/kms/aws.js';
import { REPO, spawnServe } from './server-support-backends.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cmek-serve-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.cts', ...args],
      { cwd: REPO },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('cmek kms serve (CLI process)', () => {
  it('accepts test/test as the local root by default, and stops cleanly on SIGINT', async () => {
    const dataDir = tmp();
    const proc = await spawnServe(['--data-dir', dataDir]);
    const kms = new AwsKms({
      region: 'ap-northeast-1',
      endpoint: proc.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const key = await kms.createKey({ region: 'ap-northeast-1', description: 'cli' });
      expect(key.arn).toMatch(/^arn:aws:kms:ap-northeast-1:000000000000:key\//);
      // the default policy names the account root, which is who test/test is
      expect(JSON.parse(await kms.getKeyPolicy(key.arn)).Statement[0].Principal).toEqual({
        AWS: 'arn:aws:iam::000000000000:root',
      });
      // one log line per request on stderr, with the principal and no payload; the child's
      // stderr reaches us on its own pipe, possibly after the HTTP response: wait for it.
      const logged = /kms serve: CreateKey arn:aws:iam::000000000000:root 200/;
      for (let i = 0; i < 200 && !logged.test(proc.stderr()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(proc.stderr()).toMatch(logged);
    } finally {
      kms.close();
    }
    // Wait for the exit SIGINT causes ('close': after the child's stderr is fully read); stop()
    // would also send SIGTERM, and whichever signal the server handles first wins the log line.
    const exited = new Promise<number | null>((res) => proc.child.once('close', res));
    proc.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(proc.stderr()).toMatch(/SIGINT, shutting down/);
  });

  it('exits 0 on SIGTERM', async () => {
    const proc = await spawnServe(['--data-dir', tmp(), '--quiet']);
    expect(await proc.stop()).toBe(0);
  });

  it('fails with a clear message for a bad credentials file or port', async () => {
    const dir = tmp();
    const creds = join(dir, 'creds.json');
    writeFileSync(creds, JSON.stringify({ AKIA1: { secret: 's', principal: 'not-an-arn' } }));
    const bad = await runCli([
      'kms',
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--credentials',
      creds,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/creds\.json: AKIA1\.principal: principal must be an IAM ARN/);
    expect(bad.stdout).not.toMatch(/listening on/);

    const port = await runCli(['kms', 'serve', '--port', 'abc', '--data-dir', dir]);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/expected a port number/);
  });
});
