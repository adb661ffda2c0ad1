// The keystore is shared by the CLI, the poller and the wire server, possibly all at once: these
// tests race several instances (each with its own cache) and several real processes on one dir.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { isKmsError } from '../../src/kms/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmek-kms-conc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('local KMS under concurrency', () => {
  it('loses no update when independent instances write at once (and share one root key)', async () => {
    const instances = [0, 1, 2, 3].map(() => openLocalKms({ dir }).admin());
    await Promise.all(
      instances.map(async (kms, i) => {
        for (let j = 0; j < 6; j++) {
          const k = await kms.createKey({ region: 'us-east-1', description: `${i}-${j}` });
          await kms.createAlias(`alias/i${i}-k${j}`, k.keyId);
        }
      }),
    );
    const all = await openLocalKms({ dir }).admin().listKeys();
    expect(all).toHaveLength(24);
    expect(new Set(all.map((k) => k.description)).size).toBe(24);
    expect(await openLocalKms({ dir }).admin().listAliases()).toHaveLength(24);
    // Every instance can use every key: they all ended up with the same root key.
    for (const kms of instances)
      await kms.encrypt({ keyId: all[0]!.arn, plaintext: new Uint8Array([1]) });
    expect(readdirSync(dir).sort()).toEqual(['keystore-id', 'keystore.json']);
  });

  it("sees another instance's change on the next call", async () => {
    const a = openLocalKms({ dir }).admin();
    const b = openLocalKms({ dir }).admin();
    const k = await a.createKey({ region: 'us-east-1' });
    await b.encrypt({ keyId: k.keyId, plaintext: new Uint8Array([1]) });
    await a.disableKey(k.keyId);
    await expect(b.encrypt({ keyId: k.keyId, plaintext: new Uint8Array([1]) })).rejects.toSatisfy(
      (e) => isKmsError(e, 'DisabledException'),
    );
    await a.enableKey(k.keyId);
    await b.encrypt({ keyId: k.keyId, plaintext: new Uint8Array([1]) });
  });

  it("breaks a lock left by a dead process, an empty one, and another host's that is too old", async () => {
    const kms = openLocalKms({ dir }).admin();
    await kms.createKey({ region: 'us-east-1' });
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    const lock = join(dir, 'keystore.lock');
    const info = (id: string, pid: number, host: string) =>
      JSON.stringify({
        ID: id,
        Operation: 'x',
        Info: '',
        Who: 'w',
        Version: '',
        Created: '',
        Path: lock,
        Pid: pid,
        Host: host,
      });
    writeFileSync(lock, info('x', dead, hostname()));
    await kms.createKey({ region: 'us-east-1' });
    // Another host's lock cannot be checked: broken once older than STALE_LOCK_MS.
    writeFileSync(lock, info('y', process.pid, 'elsewhere.example'));
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    await kms.createKey({ region: 'us-east-1' });
    // An empty lock file (what a full disk leaves) is not a holder: broken at once.
    writeFileSync(lock, '');
    const t0 = Date.now();
    await kms.createKey({ region: 'us-east-1' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await kms.listKeys()).toHaveLength(4);
    expect(readdirSync(dir)).not.toContain('keystore.lock');
  });

  it('loses no update across real processes', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { openLocalKms } from ${JSON.stringify(join(root, 'src/kms/local/index.ts'))};
const kms = openLocalKms({ dir: process.argv[2] }).admin();
for (let j = 0; j < 30; j++) {
  const k = await kms.createKey({ region: 'eu-west-1', description: process.argv[3] + '-' + j });
  await kms.createAlias('alias/' + process.argv[3] + '-' + j, k.keyId);
}
`,
    );
    const kmsDir = join(dir, 'kms');
    const run = (name: string) =>
      new Promise<void>((ok, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, kmsDir, name], {
          cwd: root,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) =>
          code === 0 ? ok() : fail(new Error(`${name}: ${code} ${err}`)),
        );
      });
    await Promise.all([run('p1'), run('p2'), run('p3')]);
    const kms = openLocalKms({ dir: kmsDir }).admin();
    expect(new Set((await kms.listKeys()).map((k) => k.description)).size).toBe(90);
    expect(await kms.listAliases()).toHaveLength(90);
  });
});
