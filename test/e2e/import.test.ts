// `cmek import ADDR ID` and `import {}` blocks through the real CLI: objects made by one working
// directory are imported by another that shares the data directory, after which plan has
// nothing to do; the failures are coded diagnostics (docs/cli/import.md).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, keyMaterialLike, tempDir } from './harness.js';

// Each cmek call spawns node; a loaded machine makes a test of twenty calls slow.
const T = 420_000;

function config(dataDir: string, extra = ''): string {
  return `provider "cmek" {
  data_dir = "${dataDir}"
}
resource "cmek_kms_key" "k" {
  region              = "eu-west-1"
  description         = "orders"
  alias               = "alias/imp-orders"
  enable_key_rotation = true
}
resource "cmek_kms_key_policy" "p" {
  key_id = cmek_kms_key.k.arn
}
resource "cmek_encrypted_service" "s" {
  name       = "imp-orders"
  region     = "eu-west-1"
  kms_key    = cmek_kms_key.k.arn
  tags       = { team = "payments" }
  depends_on = [cmek_kms_key_policy.p]
}
resource "cmek_replica" "r" {
  primary_id = cmek_encrypted_service.s.id
  name       = "imp-orders-ro"
  region     = "eu-west-1"
}
resource "cmek_kms_key" "us" {
  region = "us-east-1"
}
resource "cmek_kms_key_policy" "us" {
  key_id = cmek_kms_key.us.key_id
}
resource "cmek_replica" "us" {
  primary_id = cmek_encrypted_service.s.id
  name       = "imp-orders-us"
  region     = "us-east-1"
  kms_key    = cmek_kms_key.us.arn
  depends_on = [cmek_kms_key_policy.us]
}
resource "cmek_clone" "c" {
  source_id = cmek_encrypted_service.s.id
  name      = "imp-orders-clone"
}
resource "cmek_backup" "b" {
  service_id  = cmek_encrypted_service.s.id
  description = "nightly"
}
resource "cmek_backup_restore" "x" {
  backup_id = cmek_backup.b.id
  name      = "imp-orders-restored"
}
resource "cmek_kms_key" "g" {
  region   = "europe-west1"
  key_ring = "sql"
  name     = "imp-orders-g"
}
${extra}`;
}

/** An attribute of an instance in a working directory's state. */
function attr(dir: string, address: string, name: string): string {
  const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
  for (const r of state.resources)
    for (const i of r.instances) {
      const a = `${r.type}.${r.name}${i.index_key !== undefined ? `[${i.index_key}]` : ''}`;
      if (a === address) return i.attributes[name];
    }
  throw new Error(`${address} is not in ${dir}`);
}

describe('cmek import', () => {
  const data = tempDir();
  const a = tempDir();
  const b = tempDir();

  beforeAll(() => {
    cliBin();
    writeFileSync(join(a, 'main.tf'), config(data));
    writeFileSync(join(b, 'main.tf'), config(data));
    const r = cmek(a, ['apply', '-auto-approve']);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
  }, T);

  afterAll(() => {
    for (const d of [a, b, data]) rmSync(d, { recursive: true, force: true });
  });

  it(
    'imports every resource type made by another working directory; plan then has no changes',
    () => {
      const ids: Array<[string, string]> = [
        ['cmek_kms_key.k', 'alias/imp-orders'],
        ['cmek_kms_key_policy.p', attr(a, 'cmek_kms_key.k', 'arn')],
        ['cmek_encrypted_service.s', 'imp-orders'],
        ['cmek_replica.r', attr(a, 'cmek_replica.r', 'id')],
        ['cmek_kms_key.us', attr(a, 'cmek_kms_key.us', 'key_id')],
        ['cmek_kms_key_policy.us', attr(a, 'cmek_kms_key.us', 'key_id')],
        ['cmek_replica.us', 'imp-orders-us'],
        ['cmek_clone.c', 'imp-orders-clone'],
        ['cmek_backup.b', attr(a, 'cmek_backup.b', 'id')],
        ['cmek_backup_restore.x', attr(a, 'cmek_backup_restore.x', 'id')],
        ['cmek_kms_key.g', attr(a, 'cmek_kms_key.g', 'arn')],
      ];
      for (const [address, id] of ids) {
        const r = cmek(b, ['import', address, id]);
        expect(r.stderr, address).not.toContain('Error');
        expect(r.code, address).toBe(0);
        expect(r.stdout).toContain(`${address}: Importing from ID "${id}"...`);
        expect(r.stdout).toContain('Import successful!');
      }
      for (const [address] of ids)
        expect(attr(b, address, 'id'), address).toBe(attr(a, address, 'id'));
      const plan = cmek(b, ['plan', '-detailed-exitcode']);
      expect(plan.stdout).toContain('No changes.');
      expect(plan.code).toBe(0);
      expect(keyMaterialLike(readFileSync(join(b, 'terraform.tfstate'), 'utf8'))).toEqual([]);
    },
    T,
  );

  it(
    'refuses a missing object, an address not in the configuration, one in state, another type',
    () => {
      // Already in state is checked before the object is looked for (as terraform does).
      const inState = cmek(a, ['import', 'cmek_kms_key.k', 'alias/imp-orders']);
      expect(inState.code).toBe(1);
      expect(inState.stderr).toContain('USAGE: Resource already managed by cmek: cmek_kms_key.k');
      expect(inState.stderr).toContain('cmek state rm cmek_kms_key.k');

      const nowhere = cmek(a, ['import', 'cmek_kms_key.nope', 'alias/imp-orders']);
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toContain(
        'CONFIG_REFERENCE: Configuration for import target cmek_kms_key.nope does not exist',
      );
      const indexed = cmek(a, ['import', 'cmek_kms_key.k[0]', 'alias/imp-orders']);
      expect(indexed.code).toBe(1);
      expect(indexed.stderr).toContain('cmek_kms_key.k has no count');

      expect(cmek(a, ['state', 'rm', 'cmek_kms_key.k', 'cmek_encrypted_service.s']).code).toBe(0);
      const none = cmek(a, ['import', 'cmek_kms_key.k', 'alias/none']);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(
        'IMPORT_NOT_FOUND: Cannot import non-existent remote object "alias/none"',
      );
      const wrongKind = cmek(a, ['import', 'cmek_encrypted_service.s', 'imp-orders-ro']);
      expect(wrongKind.code).toBe(1);
      expect(wrongKind.stderr).toContain(
        'IMPORT_NOT_FOUND: imp-orders-ro is a cmek_replica, not a cmek_encrypted_service',
      );
      expect(cmek(a, ['state', 'rm', 'cmek_backup.b']).code).toBe(0);
      const noBackup = cmek(a, ['import', 'cmek_backup.b', 'bkp-0000000000000000']);
      expect(noBackup.code).toBe(1);
      expect(noBackup.stderr).toContain('IMPORT_NOT_FOUND');
      expect(noBackup.stderr).not.toMatch(/\n\s+at /);
      expect(cmek(a, ['import', 'cmek_backup.b', attr(b, 'cmek_backup.b', 'id')]).code).toBe(0);

      // Round trip: what state rm forgot comes back by import, and plan has nothing to do.
      const id = attr(b, 'cmek_kms_key.k', 'key_id');
      expect(cmek(a, ['import', 'cmek_kms_key.k', id]).code).toBe(0);
      expect(cmek(a, ['import', 'cmek_encrypted_service.s', 'imp-orders']).code).toBe(0);
      const plan = cmek(a, ['plan', '-detailed-exitcode']);
      expect(plan.stdout).toContain('No changes.');
      expect(plan.code).toBe(0);
    },
    T,
  );

  it(
    'a taken service name or alias says how to import the existing object',
    () => {
      const c = tempDir({
        'main.tf': `provider "cmek" {
  data_dir = "${data}"
}
resource "cmek_kms_key" "dup" {
  region = "eu-west-1"
  alias  = "alias/imp-orders"
}
resource "cmek_encrypted_service" "s" {
  name   = "imp-orders"
  region = "eu-west-1"
}
`,
      });
      const r = cmek(c, ['apply', '-auto-approve']);
      expect(r.code).toBe(1);
      const keyId = attr(a, 'cmek_kms_key.k', 'key_id');
      expect(r.stderr).toContain(`alias/imp-orders already exists: it points at key`);
      expect(r.stderr).toContain(keyId);
      expect(r.stderr).toContain(`cmek import <this address> ${keyId}`);
      const svc = attr(a, 'cmek_encrypted_service.s', 'id');
      expect(r.stderr).toContain(`cmek import <this address> ${svc}`);
      // The taken alias is refused before a key is made: nothing was created.
      const state = JSON.parse(readFileSync(join(c, 'terraform.tfstate'), 'utf8'));
      expect(state.resources).toEqual([]);
      rmSync(c, { recursive: true, force: true });
    },
    T,
  );

  it(
    'import blocks: plan shows the imports, apply records them, then they are no-ops',
    () => {
      const c = tempDir({
        'main.tf': `provider "cmek" {
  data_dir = "${data}"
}
variable "key" {
  default = "alias/imp-orders"
}
resource "cmek_kms_key" "k" {
  region              = "eu-west-1"
  description         = "orders"
  alias               = "alias/imp-orders"
  enable_key_rotation = true
}
resource "cmek_encrypted_service" "s" {
  count   = 2
  name    = count.index == 0 ? "imp-orders" : "imp-orders-two"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k.arn
  tags    = { team = "payments" }
}
import {
  to = cmek_kms_key.k
  id = var.key
}

import {
  to = cmek_encrypted_service.s[0]
  id = "imp-orders"
}
`,
      });
      const plan = cmek(c, ['plan']);
      expect(plan.stderr).not.toContain('Error');
      expect(plan.stdout).toContain('# cmek_kms_key.k will be imported');
      expect(plan.stdout).toContain('# cmek_encrypted_service.s[0] will be imported');
      expect(plan.stdout).toContain('# cmek_encrypted_service.s[1] will be created');
      expect(plan.stdout).toContain('Plan: 2 to import, 1 to add, 0 to change, 0 to destroy.');

      const json = JSON.parse(cmek(c, ['plan', '-json']).stdout);
      const byAddr = Object.fromEntries(
        json.resource_changes.map((r: { address: string; change: unknown }) => [
          r.address,
          r.change,
        ]),
      );
      expect(byAddr['cmek_kms_key.k'].importing).toEqual({ id: 'alias/imp-orders' });
      expect(byAddr['cmek_kms_key.k'].actions).toEqual(['no-op']);
      expect(byAddr['cmek_encrypted_service.s[0]'].importing).toEqual({ id: 'imp-orders' });
      expect(byAddr['cmek_encrypted_service.s[1]'].importing).toBeUndefined();

      const applied = cmek(c, ['apply', '-auto-approve']);
      expect(applied.stderr).not.toContain('Error');
      expect(applied.stdout).toContain('Apply complete! Resources: 2 imported, 1 added, 0 changed');
      expect(attr(c, 'cmek_encrypted_service.s[0]', 'id')).toBe(
        attr(a, 'cmek_encrypted_service.s', 'id'),
      );
      const again = cmek(c, ['plan', '-detailed-exitcode']);
      expect(again.stdout).toContain('No changes.');
      expect(again.code).toBe(0);
      // Leave the second service for destroy of this directory only.
      expect(
        cmek(c, ['destroy', '-auto-approve', '-target=cmek_encrypted_service.s[1]']).code,
      ).toBe(0);
      rmSync(c, { recursive: true, force: true });
    },
    T,
  );

  it(
    'an import block that differs from the configuration plans the update; bad blocks are errors at file:line',
    () => {
      const c = tempDir({
        'main.tf': `provider "cmek" {
  data_dir = "${data}"
}
resource "cmek_kms_key" "k" {
  region              = "eu-west-1"
  description         = "orders, imported"
  alias               = "alias/imp-orders"
  enable_key_rotation = true
}
import {
  to = cmek_kms_key.k
  id = "alias/imp-orders"
}
`,
      });
      const plan = cmek(c, ['plan']);
      expect(plan.stdout).toContain('# cmek_kms_key.k will be updated in-place');
      expect(plan.stdout).toContain('# (imported from "alias/imp-orders")');
      expect(plan.stdout).toContain('~ description = "orders" -> "orders, imported"');
      expect(plan.stdout).toContain('Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.');

      writeFileSync(
        join(c, 'dup.tf'),
        `import {
  to = cmek_kms_key.k
  id = "alias/imp-orders"
}
`,
      );
      const dup = cmek(c, ['plan']);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toContain(
        'CONFIG_SCHEMA: Duplicate import configuration for "cmek_kms_key.k"',
      );
      rmSync(join(c, 'dup.tf'));

      writeFileSync(
        join(c, 'bad.tf'),
        `resource "cmek_kms_key" "k2" {
  region = "eu-west-1"
}
import {
  to = cmek_kms_key.k2
  id = "alias/none"
}
import {
  to = cmek_kms_key.k3
  id = "x"
}
resource "cmek_kms_key" "k4" {
  region = "eu-west-1"
}
import {
  to = cmek_kms_key.k4
  id = cmek_kms_key.k2.arn
}
`,
      );
      const bad = cmek(c, ['plan']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        /IMPORT_NOT_FOUND: Cannot import non-existent remote object "alias\/none"\n\s+on bad\.tf:4 cmek_kms_key\.k2/,
      );
      expect(bad.stderr).toMatch(
        /CONFIG_REFERENCE: Configuration for import target cmek_kms_key\.k3 does not exist\n\s+on bad\.tf:8/,
      );
      expect(bad.stderr).toMatch(
        /CONFIG_REFERENCE: Invalid import id\n\s+on bad\.tf:15 cmek_kms_key\.k4 \(id\)\n.*not known at plan time/,
      );
      expect(bad.stderr).not.toMatch(/\n\s+at /);
      rmSync(c, { recursive: true, force: true });
    },
    T,
  );
});
