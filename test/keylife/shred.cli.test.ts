// Crypto-shredding reaches the replicas and backups under the destroyed key, through the real CLI
// (docs/key-lifecycle.md "key deleted: data and backups are unrecoverable"): after schedule-deletion + purge, the
// poller stops the service and its replica as crypto-shredded, reading the replica says why, and
// restoring the backup fails with the same plain explanation.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';
import { withDataDir } from './support.js';

const BASE = `
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
  alias  = "alias/shred"
}
resource "cmek_encrypted_service" "orders" {
  name    = "orders"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k.arn
}
resource "cmek_replica" "orders_r" {
  primary_id = cmek_encrypted_service.orders.id
  name       = "orders-r"
  region     = "eu-west-1"
}
resource "cmek_backup" "orders" {
  service_id = cmek_encrypted_service.orders.id
  depends_on = [cmek_replica.orders_r]
}
`;

const RESTORE = `
resource "cmek_backup_restore" "late" {
  backup_id = cmek_backup.orders.id
  name      = "orders-restored"
}
`;

let dir: string;

function run(args: string[], exit = 0, input?: string) {
  const r = cmek(dir, withDataDir(args), input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return r;
}

beforeAll(() => {
  cliBin();
  // Data first, then the replica (copies it) and the backup (snapshots it).
  dir = tempDir({
    'main.tf': BASE.slice(0, BASE.indexOf('resource "cmek_replica"')),
  });
  run(['apply', '-auto-approve']);
  run(['data', 'put', 'orders', 'o', '-'], 0, 'order 1');
  writeFileSync(join(dir, 'main.tf'), BASE);
  run(['apply', '-auto-approve']);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key deleted: replicas and backups', () => {
  it('the replica is stopped as crypto-shredded and the backup cannot be restored', () => {
    expect(run(['data', 'get', 'orders-r', 'o']).stdout).toBe('order 1');
    run(['kms', 'schedule-deletion', 'alias/shred', '--pending-window-in-days', '7']);
    run(['kms', 'purge']);
    const p = run(['poll', '--once', '--all']);
    expect(p.stdout).toMatch(/orders \(clickhouse\)\s+RUNNING → STOPPED\s+key material destroyed/);
    expect(p.stdout).toMatch(
      /orders-r \(clickhouse\)\s+RUNNING → STOPPED\s+key material destroyed/,
    );
    const g = run(['data', 'get', 'orders-r', 'o'], 1);
    expect(g.stderr).toMatch(/Data of service orders-r is unrecoverable \(crypto-shredded\)/);

    writeFileSync(join(dir, 'main.tf'), BASE + RESTORE);
    const a = run(['apply', '-auto-approve'], 1);
    expect(a.stderr).toMatch(/unrecoverable \(crypto-shredded\)/);
    expect(a.stderr).toMatch(/every replica and backup encrypted under that key/);
  }, 60_000);
});
