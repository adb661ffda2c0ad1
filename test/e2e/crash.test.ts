// Crash and concurrency, with the real binary: kill -9 in the middle of an apply, then recover;
// two applies at once on one state.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, cmekSpawn, copyExample, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000); // the first file to run builds the CLI and its bundles (test/e2e/harness.ts)

const N = 12;
const MANY = `
resource "cmek_kms_key" "k" {
  count  = ${N}
  region = "eu-west-1"
}
resource "cmek_encrypted_service" "db" {
  count   = ${N}
  name    = "db-\${count.index}"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k[count.index].arn
}
`;

interface KeyRow {
  arn: string;
  key_state: string;
}

function liveKeys(dir: string): KeyRow[] {
  const r = cmek(dir, ['kms', 'ls', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as KeyRow[]).filter((k) => k.key_state === 'Enabled');
}

describe('crash recovery', () => {
  it('kill -9 after the first resource: state stays valid, the lock names the dead run, the next apply converges', async () => {
    const dir = tempDir({ 'main.tf': MANY });
    const child = cmekSpawn(dir, ['apply', '-auto-approve', '-parallelism=1']);
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Creation complete')) child.kill('SIGKILL');
      });
      child.on('close', () => resolve());
    });
    expect(out).toContain('Creation complete');
    expect(out).not.toContain('Apply complete!');

    // The state on disk is whole (atomic rename), and holds what completed.
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(state.version).toBe(4);
    const recorded = state.resources.flatMap((r: { instances: unknown[] }) => r.instances).length;
    expect(recorded).toBeGreaterThanOrEqual(1);
    expect(recorded).toBeLessThan(2 * N);

    // The killed run's lock is still there: reported with the crash hint, never stolen.
    const locked = cmek(dir, ['plan']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('STATE_LOCKED');
    expect(locked.stderr).toContain('is no longer running');
    const id = /cmek force-unlock (\S+)/.exec(locked.stderr)![1]!;
    expect(cmek(dir, ['force-unlock', id, '-force']).code).toBe(0);

    const again = cmek(dir, ['apply', '-auto-approve']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);

    const final = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const services = final.resources.find(
      (r: { type: string }) => r.type === 'cmek_encrypted_service',
    ).instances;
    const keys = final.resources.find((r: { type: string }) => r.type === 'cmek_kms_key').instances;
    expect(services).toHaveLength(N);
    expect(keys).toHaveLength(N);
    // Every service uses the key recorded at its index: nothing was recorded twice.
    const names = services.map((s: { attributes: { name: string } }) => s.attributes.name);
    expect(new Set(names).size).toBe(N);
    // A key whose create was in flight at the kill is the only possible orphan (the local KMS
    // has no idempotency token): at most one, and the test says how many.
    const recordedArns = new Set(
      keys.map((k: { attributes: { arn: string } }) => k.attributes.arn),
    );
    const orphans = liveKeys(dir).filter((k) => !recordedArns.has(k.arn));
    console.log(
      `crash test: ${recorded} resources recorded before the kill, ${orphans.length} orphaned key(s)`,
    );
    expect(orphans.length).toBeLessThanOrEqual(1);
  });
});

describe('interrupt', () => {
  it('Ctrl-C (SIGINT) mid-apply: in-flight work is recorded, the lock is released, exit 1; apply again finishes', async () => {
    const dir = tempDir({ 'main.tf': MANY });
    const child = cmekSpawn(dir, ['apply', '-auto-approve', '-parallelism=1']);
    let out = '';
    const code = await new Promise<number>((resolve) => {
      let sent = false;
      const onData = (d: Buffer) => {
        out += d.toString();
        if (!sent && out.includes('Creation complete')) {
          sent = true;
          child.kill('SIGINT');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('close', (c) => resolve(c ?? -1));
    });
    if (out.includes('Apply complete!')) {
      // The apply finished before the signal arrived: nothing to interrupt on this machine.
      console.log('interrupt test: apply finished before SIGINT was delivered');
      expect(code).toBe(0);
      return;
    }
    expect(code).toBe(1);
    expect(out).toContain('Interrupt received');
    expect(out).toContain('Apply interrupted');
    expect(readdirSync(dir)).not.toContain('.terraform.tfstate.lock.info');
    const again = cmek(dir, ['apply', '-auto-approve']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
    const keys = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).resources.find(
      (r: { type: string }) => r.type === 'cmek_kms_key',
    ).instances;
    expect(liveKeys(dir)).toHaveLength(keys.length);
  });
});

describe('concurrent applies', () => {
  it('two applies on one state: one holds the lock, the other waits (-lock-timeout) — the work is done once', async () => {
    const dir = copyExample('quickstart');
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const c = cmekSpawn(dir, args);
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (out += d.toString()));
        c.on('close', (code) => resolve({ code: code ?? -1, out }));
      });
    const [a, b] = await Promise.all([
      run(['apply', '-auto-approve', '-lock-timeout=60s']),
      run(['apply', '-auto-approve', '-lock-timeout=60s']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const added = [a, b].map((r) => Number(/Resources: (\d+) added/.exec(r.out)?.[1] ?? -1)).sort();
    expect(added).toEqual([0, 3]);
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
  });

  it('without -lock-timeout: started together, the loser fails with STATE_LOCKED; never both write', async () => {
    const keys = 40;
    const dir = tempDir({
      'main.tf': `resource "cmek_kms_key" "k" {\n  count  = ${keys}\n  region = "eu-west-1"\n}\n`,
    });
    const run = () =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const c = cmekSpawn(dir, ['apply', '-auto-approve', '-parallelism=1']);
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (out += d.toString()));
        c.on('close', (code) => resolve({ code: code ?? -1, out }));
      });
    const results = await Promise.all([run(), run()]);
    const added = results.map((r) => Number(/Resources: (\d+) added/.exec(r.out)?.[1] ?? 0));
    // Whatever the interleaving, the keys were created exactly once.
    expect(added.reduce((a, b) => a + b, 0)).toBe(keys);
    const losers = results.filter((r) => r.code !== 0);
    for (const l of losers) {
      expect(l.out).toContain('STATE_LOCKED');
      expect(l.out).not.toContain('Creating...');
    }
    console.log(`concurrent applies: exit codes ${results.map((r) => r.code).join(', ')}`);
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(state.resources[0].instances).toHaveLength(keys);
    expect(liveKeys(dir)).toHaveLength(keys);
  });
});
