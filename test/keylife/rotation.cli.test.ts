// Rotation of a live service, per profile, through the real CLI with real data (docs/key-lifecycle.md row
// "change the key of a live service"):
// - clickhouse: kms_key → another AWS key is an in-place update that re-wraps the service key;
//   reads and writes keep working while `cmek apply` rotates; no object body is rewritten; the
//   old key can then be destroyed and everything still reads back.
// - cloudsql: the key is immutable (CMEK_KEY_IMMUTABLE); `cmek kms rotate` makes a new primary
//   version that the service does not use until `reencrypt` changes; then kms_key_version
//   shows the new version.
// Plan-time rules CMEK_KEY_IMMUTABLE and CMEK_ROTATION_CROSS_PROVIDER are checked end to end.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedPlane } from '../../src/cli/commands/service.js';
import type { ControlPlane } from '../../src/service/control-plane.js';
import { cliBin, cmek, cmekSpawn, tempDir } from '../e2e/harness.js';
import { withDataDir } from './support.js';

const RING_KEY = 'projects/local/locations/europe-west1/keyRings/ring/cryptoKeys/sql';

function config(opts: { ordersKey: string; sqlKey?: string; reencrypt?: string }): string {
  return `
resource "cmek_kms_key" "one" {
  region = "eu-west-1"
  alias  = "alias/rot-one"
}
resource "cmek_kms_key" "two" {
  region = "eu-west-1"
  alias  = "alias/rot-two"
}
resource "cmek_kms_key" "ring" {
  region   = "europe-west1"
  key_ring = "ring"
  name     = "sql"
}
resource "cmek_kms_key" "ring2" {
  region   = "europe-west1"
  key_ring = "ring"
  name     = "sql2"
}
resource "cmek_encrypted_service" "orders" {
  name    = "orders"
  region  = "eu-west-1"
  kms_key = ${opts.ordersKey}
}
resource "cmek_encrypted_service" "sql" {
  name    = "sql"
  region  = "europe-west1"
  profile = "cloudsql"
  kms_key = ${opts.sqlKey ?? 'cmek_kms_key.ring.arn'}
${opts.reencrypt ? `  reencrypt = "${opts.reencrypt}"\n` : ''}}
output "sql_key_version" {
  value = cmek_encrypted_service.sql.kms_key_version
}
`;
}

let dir: string;
const BIG = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${(i * 2654435761) % 1e9}`).join(
  '\n',
);

function ok(args: string[], input?: string) {
  const r = cmek(dir, withDataDir(args), input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function writeConfig(c: string) {
  writeFileSync(join(dir, 'main.tf'), c);
}

/** sha256 and mtime of every object file of a service: proof that rotation rewrote none. */
function objectFiles(serviceId: string): Record<string, string> {
  const d = join(dir, '.cmek', 'objects', serviceId);
  const out: Record<string, string> = {};
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (!statSync(p).isFile()) continue; // the .partial folder of uploads in flight
    out[f] = `${createHash('sha256').update(readFileSync(p)).digest('hex')}@${statSync(p).mtimeMs}`;
  }
  return out;
}

async function plane(): Promise<ControlPlane> {
  return openEmbeddedPlane({ dataDir: join(dir, '.cmek') });
}

beforeAll(() => {
  cliBin();
  dir = tempDir();
  writeConfig(config({ ordersKey: 'cmek_kms_key.one.arn' }));
  ok(['apply', '-auto-approve']);
  ok(['data', 'put', 'orders', 'big', '-'], BIG);
  ok(['data', 'put', 'sql', 'rows', '-'], 'id,amount\n1,42\n');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plan-time rules, end to end', () => {
  it('cloudsql: another key is CMEK_KEY_IMMUTABLE; clickhouse: a GCP key is CMEK_ROTATION_CROSS_PROVIDER', () => {
    writeConfig(config({ ordersKey: 'cmek_kms_key.ring.arn', sqlKey: 'cmek_kms_key.ring2.arn' }));
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CMEK_KEY_IMMUTABLE');
    expect(r.stderr).toContain('CMEK_ROTATION_CROSS_PROVIDER');
    writeConfig(config({ ordersKey: 'cmek_kms_key.one.arn' }));
  });
});

describe('clickhouse: rotation to another key of the same provider', () => {
  it('re-wraps in place while reads and writes go on; bodies untouched; old key not needed', async () => {
    const cp = await plane();
    const svc = await cp.require('orders');
    const before = objectFiles(svc.id);
    expect(Object.keys(before)).toHaveLength(1);

    writeConfig(config({ ordersKey: 'cmek_kms_key.two.arn' }));
    // Traffic from another process (this one) for the whole life of `cmek apply`.
    const apply = cmekSpawn(dir, ['apply', '-auto-approve']);
    let out = '';
    apply.stdout.on('data', (b: Buffer) => (out += b.toString()));
    apply.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number>((resolve) => apply.on('close', (c) => resolve(c ?? -1)));
    let done = false;
    void exited.then(() => (done = true));
    let reads = 0;
    let writes = 0;
    while (!done) {
      expect(await text(await cp.objects.get(svc.id, 'big'))).toBe(BIG);
      reads++;
      await cp.objects.put(svc.id, `during/${writes}`, `written during rotation ${writes}`);
      writes++;
    }
    expect(await exited, out).toBe(0);
    expect(out).toMatch(/rotation: the service key is re-wrapped under the new key/);
    expect(out).toContain('Resources: 0 added, 1 changed, 0 destroyed.');
    expect(reads).toBeGreaterThan(0);

    const after = await cp.require('orders');
    const two = JSON.parse(ok(['kms', 'describe', 'alias/rot-two', '--json']).stdout);
    expect(after.kekArn).toBe(two.arn);
    expect(after.status).toBe('RUNNING');
    // The object written before the rotation is byte-for-byte the same file.
    expect(objectFiles(svc.id)[Object.keys(before)[0]!]).toBe(Object.values(before)[0]);

    // Retire the old key for good: the data reads back without it (fresh processes).
    ok(['kms', 'schedule-deletion', 'alias/rot-one', '--pending-window-in-days', '7']);
    expect(ok(['kms', 'purge']).stdout).toMatch(/destroyed arn:aws:kms/);
    expect(ok(['data', 'get', 'orders', 'big']).stdout).toBe(BIG);
    const fresh = await plane();
    for (let i = 0; i < writes; i++) {
      expect(await text(await fresh.objects.get(svc.id, `during/${i}`))).toBe(
        `written during rotation ${i}`,
      );
    }
  }, 60_000);
});

describe('cloudsql: key versions and the reencrypt trigger', () => {
  it('a new primary version is not used until reencrypt changes; then kms_key_version shows it', async () => {
    expect(ok(['kms', 'rotate', RING_KEY]).stdout).toContain('primary version 2');
    const d1 = JSON.parse(ok(['service', 'describe', 'sql', '-json']).stdout);
    expect(d1.kmsKeyVersion).toBe('1');
    const keys1 = JSON.parse(
      readFileSync(join(dir, '.cmek', 'services', `${d1.id}.keys.json`), 'utf8'),
    );
    expect(keys1.kek.keyVersion).toBe('1');

    writeConfig(config({ ordersKey: 'cmek_kms_key.two.arn', reencrypt: 'after-rotation-2' }));
    const apply = ok(['apply', '-auto-approve']);
    expect(apply.stdout).toMatch(
      /re-encrypt: the service key is re-wrapped under the key's current primary version/,
    );
    expect(apply.stdout).toMatch(/sql_key_version = "2"/);
    const keys2 = JSON.parse(
      readFileSync(join(dir, '.cmek', 'services', `${d1.id}.keys.json`), 'utf8'),
    );
    expect(keys2.kek.keyVersion).toBe('2');
    expect(ok(['data', 'get', 'sql', 'rows']).stdout).toBe('id,amount\n1,42\n');
    const events = (await (await plane()).events(d1.id)).map((e) => e.type);
    expect(events).toContain('rotated');
  });
});
