// The docs/key-lifecycle.md rows about replicas, clones, backups and restores, end to end through the REAL
// binary: `cmek apply` builds them, `cmek data put` writes to the primary, `cmek data get` reads
// the copies. Rows are grouped into few configurations to keep the number of CLI spawns low.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, keyMaterialLike, tempDir } from '../e2e/harness.js';

function ok(dir: string, args: string[], input?: string) {
  const r = cmek(dir, args, input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

interface Diag {
  code: string;
  address?: string;
}

/** `plan -json` that must fail; its diagnostics. */
function failingPlan(dir: string): Diag[] {
  const r = cmek(dir, ['plan', '-json']);
  expect(r.code, r.stderr).toBe(1);
  return (JSON.parse(r.stdout) as { diagnostics: Diag[] }).diagnostics;
}

const pairs = (ds: Diag[]) => ds.map((d) => `${d.code} ${d.address ?? ''}`).sort();

const KEYS = `
resource "cmek_kms_key" "eu" {
  region = "eu-west-1"
}
resource "cmek_kms_key" "eu2" {
  region = "eu-west-1"
}
resource "cmek_kms_key" "us" {
  region = "us-east-1"
}
`;

const PHASE1 = `${KEYS}
resource "cmek_encrypted_service" "p" {
  name    = "p"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.eu.arn
}
resource "cmek_encrypted_service" "q" {
  name    = "q"
  region  = "eu-west-1"
  profile = "cloudsql"
  kms_key = cmek_kms_key.eu.arn
}
resource "cmek_encrypted_service" "plain" {
  name   = "plain"
  region = "eu-west-1"
}
resource "cmek_replica" "same" {
  primary_id = cmek_encrypted_service.p.id
  name       = "p-same"
  region     = "eu-west-1"
}
resource "cmek_replica" "cross" {
  primary_id = cmek_encrypted_service.p.id
  name       = "p-us"
  region     = "us-east-1"
  kind       = "failover"
  kms_key    = cmek_kms_key.us.arn
}
`;

const PHASE2 = `${PHASE1}
resource "cmek_clone" "c" {
  source_id = cmek_encrypted_service.p.id
  name      = "p-clone"
}
resource "cmek_backup" "pb" {
  service_id  = cmek_encrypted_service.p.id
  description = "nightly"
}
resource "cmek_backup_restore" "pr" {
  backup_id = cmek_backup.pb.id
  name      = "p-restored"
}
resource "cmek_backup" "qb" {
  service_id = cmek_encrypted_service.q.id
}
resource "cmek_backup_restore" "qr" {
  backup_id = cmek_backup.qb.id
  name      = "q-restored-us"
  region    = "us-east-1"
  kms_key   = cmek_kms_key.us.arn
}
resource "cmek_backup" "plainb" {
  service_id = cmek_encrypted_service.plain.id
}
resource "cmek_backup_restore" "plainr" {
  backup_id = cmek_backup.plainb.id
  name      = "plain-cmek"
  kms_key   = cmek_kms_key.eu.arn
}
output "pb" {
  value = cmek_backup.pb
}
output "same" {
  value = cmek_replica.same
}
`;

/** Every rule violation of the derived resources, against `p`, `q`, `plain`, `pb` and the keys
 * whatever they are (new in the plan, or already in state and the control plane). */
const BAD = `
resource "cmek_replica" "bad_inherit" {
  primary_id = cmek_encrypted_service.p.id
  name       = "bad1"
  region     = "eu-west-1"
  kms_key    = cmek_kms_key.eu2.arn
}
resource "cmek_replica" "bad_required" {
  primary_id = cmek_encrypted_service.p.id
  name       = "bad2"
  region     = "us-east-1"
}
resource "cmek_replica" "bad_region" {
  primary_id = cmek_encrypted_service.p.id
  name       = "bad3"
  region     = "us-east-1"
  kms_key    = cmek_kms_key.eu.arn
}
resource "cmek_replica" "bad_unencrypted" {
  primary_id = cmek_encrypted_service.plain.id
  name       = "bad4"
  region     = "eu-west-1"
  kms_key    = cmek_kms_key.eu.arn
}
resource "cmek_clone" "bad_key" {
  source_id = cmek_encrypted_service.p.id
  name      = "bad5"
  kms_key   = cmek_kms_key.eu2.arn
}
resource "cmek_clone" "bad_region" {
  source_id = cmek_encrypted_service.p.id
  name      = "bad6"
  region    = "us-east-1"
}
resource "cmek_backup" "bad_b" {
  service_id = cmek_encrypted_service.p.id
}
resource "cmek_backup_restore" "bad_key" {
  backup_id = cmek_backup.bad_b.id
  name      = "bad7"
  kms_key   = cmek_kms_key.eu2.arn
}
resource "cmek_backup" "bad_qb" {
  service_id = cmek_encrypted_service.q.id
}
resource "cmek_backup_restore" "ok_cloudsql" {
  backup_id = cmek_backup.bad_qb.id
  name      = "ok8"
  kms_key   = cmek_kms_key.eu2.arn
}
resource "cmek_backup_restore" "bad_cloudsql_region" {
  backup_id = cmek_backup.bad_qb.id
  name      = "bad9"
  region    = "us-east-1"
  kms_key   = cmek_kms_key.eu2.arn
}
`;

const EXPECTED_BAD = [
  'CMEK_CLONE_KEY_INHERITED cmek_clone.bad_key',
  'CMEK_CLONE_KEY_INHERITED cmek_clone.bad_region',
  'CMEK_REGION_MISMATCH cmek_backup_restore.bad_cloudsql_region',
  'CMEK_REGION_MISMATCH cmek_replica.bad_region',
  'CMEK_REPLICA_KEY_INHERITED cmek_replica.bad_inherit',
  'CMEK_REPLICA_KEY_REQUIRED cmek_replica.bad_required',
  'CMEK_REPLICA_UNENCRYPTED_PRIMARY cmek_replica.bad_unencrypted',
  'CMEK_RESTORE_KEY_INHERITED cmek_backup_restore.bad_key',
];

beforeAll(() => {
  cliBin();
}, 180_000);

describe('the rules fire through the CLI', () => {
  it('when keys, services and backups are created in the same plan (unknown ARNs)', () => {
    const dir = tempDir({ 'main.tf': PHASE1, 'bad.tf': BAD });
    try {
      const ds = failingPlan(dir);
      // Region mismatch may be reported once per attribute; every expected row is there, and
      // nothing about the legal cloudsql restore under another key of its region.
      expect([...new Set(pairs(ds))]).toEqual(EXPECTED_BAD);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('replicas, clones, backups and restores with real data', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir({ 'main.tf': PHASE1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('phase 1: replicas follow the primary and are read-only', () => {
    ok(dir, ['apply', '-auto-approve']);
    ok(dir, ['data', 'put', 'p', 'orders.csv', '-'], 'id,total\n1,42\n');
    ok(dir, ['data', 'put', 'q', 'q.txt', '-'], 'cloudsql data');
    ok(dir, ['data', 'put', 'plain', 'legacy.txt', '-'], 'legacy data');
    // Same-region replica: inherits the key; cross-region: its own key.
    expect(ok(dir, ['data', 'get', 'p-same', 'orders.csv']).stdout).toBe('id,total\n1,42\n');
    expect(ok(dir, ['data', 'get', 'p-us', 'orders.csv']).stdout).toBe('id,total\n1,42\n');
    const ro = cmek(dir, ['data', 'put', 'p-same', 'x', '-'], { input: 'nope' });
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/read-only/);
    const ls = JSON.parse(ok(dir, ['service', 'ls', '-json']).stdout) as {
      name: string;
      kind: string;
      kekArn: string;
      keyOwner: string;
    }[];
    const by = Object.fromEntries(ls.map((s) => [s.name, s]));
    expect(by['p-same']!.kekArn).toBe(by.p!.kekArn);
    expect(by['p-us']!.kekArn).toMatch(/^arn:aws:kms:us-east-1:/);
    expect(by['p-same']!.kind).toBe('replica');
  });

  it('phase 2: clone, backups and restores (both profiles, and CMEK for unencrypted data)', () => {
    writeFileSync(join(dir, 'main.tf'), PHASE2);
    const ap = ok(dir, ['apply', '-auto-approve']);
    expect(ap.stdout).toContain('Apply complete! Resources: 7 added, 0 changed, 0 destroyed.');
    // Later writes to the source do not reach the clone; they do reach the replicas.
    ok(dir, ['data', 'put', 'p', 'orders.csv', '-'], 'id,total\n1,42\n2,7\n');
    expect(ok(dir, ['data', 'get', 'p-clone', 'orders.csv']).stdout).toBe('id,total\n1,42\n');
    expect(ok(dir, ['data', 'get', 'p-same', 'orders.csv']).stdout).toBe('id,total\n1,42\n2,7\n');
    // The clone is writable.
    ok(dir, ['data', 'put', 'p-clone', 'mine', '-'], 'clone-only');
    // Restores hold the backup's data.
    expect(ok(dir, ['data', 'get', 'p-restored', 'orders.csv']).stdout).toBe('id,total\n1,42\n');
    expect(ok(dir, ['data', 'get', 'q-restored-us', 'q.txt']).stdout).toBe('cloudsql data');
    expect(ok(dir, ['data', 'get', 'plain-cmek', 'legacy.txt']).stdout).toBe('legacy data');

    const out = JSON.parse(ok(dir, ['output', '-json']).stdout) as Record<
      string,
      { value: Record<string, unknown> }
    >;
    expect(out.pb!.value).toMatchObject({
      encrypted: true,
      description: 'nightly',
      size_bytes: 14,
    });
    expect(String(out.pb!.value.kms_key)).toMatch(/^arn:aws:kms:eu-west-1:/);
    // The replica's own kms_key stays unset; the inherited key is effective_kms_key.
    expect(out.same!.value.kms_key ?? null).toBeNull();
    expect(out.same!.value.effective_kms_key).toBe(out.pb!.value.kms_key);

    const ls = JSON.parse(ok(dir, ['service', 'ls', '-json']).stdout) as {
      name: string;
      kekArn: string;
      keyOwner: string;
      profile: string;
    }[];
    const by = Object.fromEntries(ls.map((s) => [s.name, s]));
    expect(by['p-restored']!.kekArn).toBe(by.p!.kekArn); // clickhouse keeps the backup's key
    expect(by['q-restored-us']!).toMatchObject({ profile: 'cloudsql' });
    expect(by['q-restored-us']!.kekArn).toMatch(/^arn:aws:kms:us-east-1:/);
    expect(by['plain']!.keyOwner).toBe('managed');
    expect(by['plain-cmek']!).toMatchObject({ keyOwner: 'customer', kekArn: by.p!.kekArn });
    // The lineage shows in `cmek service ls/describe`; the primary lists its replicas and backups.
    expect(ok(dir, ['service', 'ls']).stdout).toMatch(/p-us\s.*failover replica of p/);
    const desc = ok(dir, ['service', 'describe', 'p']).stdout;
    expect(desc).toMatch(/replicas: +p-same, p-us|replicas: +p-us, p-same/);
    expect(desc).toContain(`${String(out.pb!.value.id)}  `);
    expect(desc).toContain('1 objects, 14 bytes  nightly');
    // Nothing that looks like key material in the state.
    const state = ok(dir, ['state', 'show', 'cmek_backup.pb']).stdout;
    expect(keyMaterialLike(state)).toEqual([]);
    // Converged.
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
  });

  it('the rules fire against existing resources (state + control plane)', () => {
    writeFileSync(join(dir, 'bad.tf'), BAD);
    try {
      expect([...new Set(pairs(failingPlan(dir)))]).toEqual(EXPECTED_BAD);
    } finally {
      rmSync(join(dir, 'bad.tf'));
    }
  });

  it('CMEK_KEY_IN_USE for a backup outside the configuration (destroy refused)', () => {
    // The backup of p leaves the configuration's management but stays in the control plane.
    ok(dir, ['state', 'rm', 'cmek_backup.pb']);
    const d = cmek(dir, ['destroy', '-auto-approve']);
    expect(d.code, d.stdout).toBe(1);
    expect(d.stderr).toContain('CMEK_KEY_IN_USE');
    expect(d.stderr).toMatch(/backup bkp-[0-9a-f]{16} of p/);
  });
});
