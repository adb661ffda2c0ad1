// Data-safety defects a new user hit, replayed through the REAL binary (docs/key-lifecycle.md,
// docs/rules.md): a key still used by a clone or replica cannot be deleted; a failed key create
// leaves no orphan key behind.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

// Building the CLI for changed sources takes longer than one test's timeout.
beforeAll(() => void cliBin(), 180_000);

interface Diag {
  code: string;
  address?: string;
  attribute?: string;
  summary: string;
  detail: string;
  line?: number;
}

function ok(dir: string, args: string[]) {
  const r = cmek(dir, args);
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function planDiags(dir: string): Diag[] {
  const r = cmek(dir, ['plan', '-json']);
  expect(r.code, r.stderr).toBe(1);
  return (JSON.parse(r.stdout) as { diagnostics: Diag[] }).diagnostics;
}

interface KeyRow {
  key_id: string;
  key_state: string;
  aliases: string[];
}

function keys(dir: string): KeyRow[] {
  return JSON.parse(ok(dir, ['kms', 'ls', '-json']).stdout) as KeyRow[];
}

const KEY_A = `
resource "cmek_kms_key" "a" {
  region = "eu-west-1"
}
`;
const REST = (key: string) => `
resource "cmek_kms_key" "b" {
  region = "eu-west-1"
}
resource "cmek_encrypted_service" "db" {
  name    = "db"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.${key}.arn
}
resource "cmek_replica" "r" {
  primary_id = cmek_encrypted_service.db.id
  name       = "db-r"
  region     = "eu-west-1"
}
resource "cmek_clone" "c" {
  source_id = cmek_encrypted_service.db.id
  name      = "db-c"
}
`;

describe('a key still used by a clone (or replica) cannot be deleted', () => {
  it('rotate the service to key b, then delete key a: CMEK_KEY_IN_USE names the clone', () => {
    const dir = tempDir({ 'main.tf': KEY_A + REST('a') });
    ok(dir, ['apply', '-auto-approve']);
    writeFileSync(join(dir, 'main.tf'), KEY_A + REST('b'));
    // The same-region replica inherits the key: the rotation plan moves it with its primary,
    // the clone (an independent copy) keeps key a.
    const rotation = ok(dir, ['plan', '-no-color']).stdout;
    expect(rotation).toMatch(/cmek_replica\.r will be updated in-place/);
    expect(rotation).toContain('follows its primary to the new key');
    expect(rotation).not.toMatch(/cmek_clone\.c will be/);
    ok(dir, ['apply', '-auto-approve']);
    const shown = JSON.parse(ok(dir, ['show', '-json']).stdout) as {
      values: {
        root_module: { resources: Array<{ address: string; values: Record<string, unknown> }> };
      };
    };
    const attrs = (addr: string) =>
      shown.values.root_module.resources.find((r) => r.address === addr)!.values;
    const b = attrs('cmek_kms_key.b').arn;
    const a = attrs('cmek_kms_key.a').arn;
    expect(attrs('cmek_replica.r').effective_kms_key).toBe(b);
    expect(attrs('cmek_clone.c').effective_kms_key).toBe(a);
    const services = JSON.parse(ok(dir, ['service', 'ls', '-json']).stdout) as Array<
      Record<string, unknown>
    >;
    const replicaRow = services.find((x) => x.name === 'db-r')!;
    expect(JSON.stringify(replicaRow)).toContain(String(b));
    expect(JSON.stringify(replicaRow)).not.toContain(String(a));
    // Nothing left to do: the state and the control plane agree.
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
    writeFileSync(join(dir, 'main.tf'), REST('b'));
    const ds = planDiags(dir);
    const inUse = ds.filter((d) => d.code === 'CMEK_KEY_IN_USE');
    expect(inUse, JSON.stringify(ds)).toHaveLength(1);
    expect(inUse[0]!.address).toBe('cmek_kms_key.a');
    expect(inUse[0]!.summary).toContain('cmek_clone.c');
    expect(inUse[0]!.summary).not.toContain('cmek_replica.r');
    // apply refuses too, and the key stays enabled: the clone keeps running on it.
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(1);
    expect(keys(dir).every((k) => k.key_state === 'Enabled')).toBe(true);
  }, 240_000);
});

describe('a failed key create leaves no orphan key', () => {
  it('state moved away: apply fails on the existing alias before creating a key, every time', () => {
    const tf = `
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
  alias  = "alias/orders"
}
`;
    const dir = tempDir({ 'main.tf': tf });
    ok(dir, ['apply', '-auto-approve']);
    const before = keys(dir);
    expect(before).toHaveLength(1);
    // A state that cannot be read is STATE_CORRUPT; its advice is to move it away.
    writeFileSync(join(dir, 'terraform.tfstate'), '{ not json');
    const corrupt = cmek(dir, ['plan']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stdout + corrupt.stderr).toContain('STATE_CORRUPT');
    renameSync(join(dir, 'terraform.tfstate'), join(dir, 'terraform.tfstate.corrupt'));
    for (let i = 0; i < 2; i++) {
      const r = cmek(dir, ['apply', '-auto-approve']);
      expect(r.code).toBe(1);
      const out = r.stdout + r.stderr;
      expect(out).toContain('APPLY_FAILED');
      expect(out).toContain('alias/orders already exists');
      expect(out).toContain(before[0]!.key_id);
      expect(out).toMatch(/No key was created/);
    }
    const after = keys(dir);
    expect(after.map((k) => k.key_id)).toEqual(before.map((k) => k.key_id));
  }, 240_000);
});

describe('regions are judged at plan time', () => {
  it('an unknown region, and an AWS region on a key_ring key, are CONFIG_SCHEMA at their line', () => {
    const dir = tempDir({
      'main.tf': `resource "cmek_encrypted_service" "s" {
  name   = "s"
  region = "mars-1"
}
resource "cmek_kms_key" "g" {
  region   = "eu-west-1"
  key_ring = "sql"
}
resource "cmek_kms_key" "k" {
  region = "eu-wset-1"
}
`,
    });
    const ds = planDiags(dir).filter((d) => d.code === 'CONFIG_SCHEMA');
    const at = (line: number) => ds.find((d) => d.line === line)!;
    expect(ds).toHaveLength(3);
    expect(at(3).detail).toMatch(/"mars-1" is not a known AWS region or GCP location/);
    expect(at(3).detail).toContain('us-east-1');
    expect(at(6).detail).toMatch(/"eu-west-1" is an AWS region, but this needs a GCP location/);
    expect(at(6).detail).toContain('europe-west1');
    expect(at(10).detail).toContain('Did you mean "eu-west-1"?');
    // Nothing was created: the KMS has no keys.
    expect(keys(dir)).toEqual([]);
  }, 240_000);
});

describe('a key policy on a GCP-style key', () => {
  it('the generated policy applies (it stands in for the IAM binding) and a service uses the key', () => {
    const dir = tempDir({
      'main.tf': `resource "cmek_kms_key" "g" {
  region   = "europe-west1"
  key_ring = "sql"
}
resource "cmek_kms_key_policy" "p" {
  key_id = cmek_kms_key.g.arn
}
resource "cmek_encrypted_service" "s" {
  name       = "s"
  region     = "europe-west1"
  kms_key    = cmek_kms_key.g.arn
  depends_on = [cmek_kms_key_policy.p]
}
`,
    });
    ok(dir, ['apply', '-auto-approve']);
    expect(ok(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
  }, 240_000);
});

describe('a literal parent id is looked up at plan time', () => {
  it('primary_id, source_id, service_id and backup_id naming nothing are CONFIG_REFERENCE at their line', () => {
    const db = `resource "cmek_encrypted_service" "db" {
  name   = "db"
  region = "eu-west-1"
}
`;
    const dir = tempDir({ 'main.tf': db });
    ok(dir, ['apply', '-auto-approve']);
    writeFileSync(
      join(dir, 'main.tf'),
      `${db}resource "cmek_replica" "r" {
  primary_id = "does-not-exist"
  name       = "r"
  region     = "eu-west-1"
}
resource "cmek_clone" "c" {
  source_id = "dbb"
  name      = "c"
}
resource "cmek_backup" "b" {
  service_id = "nope"
}
resource "cmek_backup_restore" "x" {
  backup_id = "bk-missing"
  name      = "x"
}
resource "cmek_clone" "fine" {
  source_id = "db"
  name      = "fine"
}
`,
    );
    const ds = planDiags(dir).filter((d) => d.code === 'CONFIG_REFERENCE');
    const by = (a: string) => ds.find((d) => d.address === a)!;
    expect(ds.map((d) => `${d.address} ${d.attribute} ${d.line}`).sort()).toEqual([
      'cmek_backup.b service_id 15',
      'cmek_backup_restore.x backup_id 18',
      'cmek_clone.c source_id 11',
      'cmek_replica.r primary_id 6',
    ]);
    expect(by('cmek_clone.c').detail).toContain('Did you mean "db"?');
    expect(by('cmek_replica.r').summary).toContain('"does-not-exist" names no service');
  }, 240_000);
});

describe('a key named by a literal is applied before what uses it', () => {
  it('kms_key = "alias/NAME" of a key in the same configuration: the key is created first and destroyed last', () => {
    const tf = `
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
  alias  = "alias/literal-orders"
}
resource "cmek_encrypted_service" "db" {
  name    = "db"
  region  = "eu-west-1"
  kms_key = "alias/literal-orders"
}
`;
    const dir = tempDir({ 'main.tf': tf });
    // No reference links the two, yet the service waits for the key (an edge from the literal).
    const applied = ok(dir, ['apply', '-auto-approve', '-parallelism=10', '-no-color']).stdout;
    expect(applied.indexOf('cmek_kms_key.k: Creation complete')).toBeGreaterThan(-1);
    expect(applied.indexOf('cmek_kms_key.k: Creation complete')).toBeLessThan(
      applied.indexOf('cmek_encrypted_service.db: Creating'),
    );
    const destroyed = ok(dir, ['destroy', '-auto-approve', '-no-color']).stdout;
    expect(destroyed.indexOf('cmek_encrypted_service.db: Destruction complete')).toBeLessThan(
      destroyed.indexOf('cmek_kms_key.k: Destroying'),
    );
  }, 240_000);
});
