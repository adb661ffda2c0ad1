// The key lifecycle through the library, on the real local KMS: the fail-closed path of a
// long-running process (warm cache → key goes bad → poll → data access refused and the cache
// empty), a key policy that stops permitting the service, the poller's per-service interval,
// rotation with reads and writes in flight, and crypto-shredding.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { openLocalKms, type LocalKms, type LocalKmsClient } from '../../src/kms/local/index.js';
import { openControlPlane, type ControlPlane } from '../../src/service/control-plane.js';
import { KeyPoller, dueInMs, pollOnce, type PollReport } from '../../src/service/poller.js';

const SP = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
const ACTIONS = [
  'kms:GetPublicKey',
  'kms:Decrypt',
  'kms:GenerateDataKeyPair',
  'kms:Encrypt',
  'kms:GetKeyRotationStatus',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
];

function policy(grantService: boolean): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'root',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:root' },
        Action: 'kms:*',
        Resource: '*',
      },
      ...(grantService
        ? [{ Sid: 'svc', Effect: 'Allow', Principal: { AWS: SP }, Action: ACTIONS, Resource: '*' }]
        : []),
    ],
  });
}

let dir: string;
let local: LocalKms;
let admin: LocalKmsClient;
let clock: Date;
let cp: ControlPlane;

async function plane(): Promise<ControlPlane> {
  return openControlPlane({
    dataDir: join(dir, 'data'),
    kms: local.client(SP),
    admin,
    principal: SP,
    durable: false,
    now: () => clock,
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!.code;
    throw e;
  }
}

async function diagOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('expected a diagnostic');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-keylife-'));
  local = openLocalKms({ dir: join(dir, 'kms') });
  admin = local.admin();
  clock = new Date('2026-01-01T00:00:00Z');
  cp = await plane();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function newKey(): Promise<string> {
  return (await admin.createKey({ region: 'eu-west-1', policy: policy(true) })).arn;
}

describe('fail closed in a long-running process', () => {
  it('warm cache, key disabled, one poll: data access refused and the cache is empty', async () => {
    const key = await newKey();
    const svc = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: key });
    await cp.objects.put(svc.id, 'a', 'hello');
    expect(await text(await cp.objects.get(svc.id, 'a'))).toBe('hello');
    expect(cp.keys.cache.size).toBeGreaterThan(0); // warm: the next get needs no KMS call

    await admin.disableKey(key);
    clock = new Date(clock.getTime() + 600_000); // the default interval has passed
    const r = await pollOnce(cp);
    expect(r.transitions).toMatchObject([{ name: 'orders', from: 'RUNNING', to: 'STOPPED' }]);
    expect(r.transitions[0]!.reason).toMatch(/key check failed: .*disabled/i);
    expect(cp.keys.cache.size).toBe(0);
    expect(await codeOf(cp.objects.get(svc.id, 'a'))).toBe('CMEK_SERVICE_UNAVAILABLE');
    expect(await codeOf(cp.objects.put(svc.id, 'b', 'x'))).toBe('CMEK_SERVICE_UNAVAILABLE');
  });

  it('a service stopped by another process: the next pass purges this process’s cache', async () => {
    const key = await newKey();
    const svc = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: key });
    await cp.objects.put(svc.id, 'a', 'hello');
    const other = await plane();
    await other.setStatus(svc.id, 'STOPPED', 'stopped elsewhere');
    expect(cp.keys.cache.size).toBeGreaterThan(0);
    // Not due (checked at creation, 10m interval): still swept.
    const r = await pollOnce(cp);
    expect(r.checked).toHaveLength(0);
    expect(cp.keys.cache.size).toBe(0);
  });

  it('a key policy that stops permitting the service principal stops it too', async () => {
    const key = await newKey();
    const svc = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: key });
    await cp.objects.put(svc.id, 'a', 'hello');
    await admin.putKeyPolicy(key, policy(false));
    const r = await pollOnce(cp, { all: true });
    expect(r.transitions[0]).toMatchObject({ to: 'STOPPED' });
    expect(r.transitions[0]!.reason).toMatch(/not allowed to call kms:/);
    expect(cp.keys.cache.size).toBe(0);
    await admin.putKeyPolicy(key, policy(true));
    // clickhouse: access back is not enough; start re-checks the key and resumes.
    expect((await pollOnce(cp, { all: true })).transitions).toEqual([]);
    expect((await cp.require(svc.id)).status).toBe('STOPPED');
    expect((await cp.start(svc.id)).status).toBe('RUNNING');
    expect(await text(await cp.objects.get(svc.id, 'a'))).toBe('hello');
  });
});

describe('a key pending deletion is only inaccessible', () => {
  it('cloudsql suspends, clickhouse stops; cancel-deletion + enable brings them back', async () => {
    const key = await newKey();
    const ch = await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: key });
    const sql = await cp.create({
      name: 'sql',
      region: 'eu-west-1',
      kmsKey: key,
      profile: 'cloudsql',
    });
    await cp.objects.put(sql.id, 'a', 'kept');
    await admin.scheduleKeyDeletion(key, 30);
    const r1 = await pollOnce(cp, { all: true });
    expect(r1.transitions.map((t) => `${t.name}:${t.to}`)).toEqual(['ch:STOPPED', 'sql:SUSPENDED']);
    expect(r1.transitions[1]!.reason).toMatch(/PendingDeletion/);
    expect((await cp.require(sql.id)).keyDestroyed).toBeUndefined();
    await admin.cancelKeyDeletion(key); // leaves it Disabled, as on AWS
    expect((await pollOnce(cp, { all: true })).transitions).toEqual([]);
    await admin.enableKey(key);
    const r2 = await pollOnce(cp, { all: true });
    expect(r2.transitions.map((t) => `${t.name}:${t.to}`)).toEqual(['sql:RUNNING']);
    expect(await text(await cp.objects.get(sql.id, 'a'))).toBe('kept');
    expect((await cp.start(ch.id)).status).toBe('RUNNING');
  });
});

describe('the poller', () => {
  it('checks each service every key_check_interval; --interval overrides; cloudsql resumes', async () => {
    const key = await newKey();
    await cp.create({ name: 'fast', region: 'eu-west-1', kmsKey: key, keyCheckInterval: '1s' });
    await cp.create({
      name: 'slow',
      region: 'eu-west-1',
      kmsKey: key,
      profile: 'cloudsql',
      keyCheckInterval: '10m',
    });
    await cp.create({ name: 'managed', region: 'eu-west-1' }); // not CMEK: never checked
    await admin.disableKey(key);
    expect((await pollOnce(cp)).checked).toEqual([]); // both just checked at creation
    clock = new Date(clock.getTime() + 1000);
    const r1 = await pollOnce(cp);
    expect(r1.checked.map((c) => c.name)).toEqual(['fast']);
    expect(r1.transitions.map((t) => `${t.name}:${t.to}`)).toEqual(['fast:STOPPED']);
    expect(r1.nextDueInMs).toBe(1000);
    // The cloudsql one only at its own interval, or with an override.
    const r2 = await pollOnce(cp, { intervalMs: 500 });
    expect(r2.transitions.map((t) => `${t.name}:${t.to}`)).toEqual(['slow:SUSPENDED']);
    await admin.enableKey(key);
    clock = new Date(clock.getTime() + 600_000);
    const r3 = await pollOnce(cp);
    expect(r3.transitions.map((t) => `${t.name}:${t.from}->${t.to}`)).toEqual([
      'slow:SUSPENDED->RUNNING',
    ]);
    expect((await cp.require('fast')).status).toBe('STOPPED');
    const rec = await cp.require('slow');
    expect(dueInMs(rec, clock)).toBe(600_000);
    const types = (await cp.events(rec.id)).map((e) => `${e.type}:${e.to ?? ''}`);
    expect(types).toEqual(['created:RUNNING', 'status:SUSPENDED', 'status:RUNNING']);
  });

  it('a service deleted while a pass runs is skipped, not reported as an error', async () => {
    const key = await newKey();
    const svc = await cp.create({ name: 'gone', region: 'eu-west-1', kmsKey: key });
    const other = await plane();
    // Delete it between the listing and its check: the first KMS call of the check does it.
    const kms = local.client(SP);
    let deleted = false;
    const racing = await openControlPlane({
      dataDir: join(dir, 'data'),
      kms: {
        ...kms,
        describeKey: async (k: string) => {
          if (!deleted) {
            deleted = true;
            await other.delete(svc.id);
          }
          return kms.describeKey(k);
        },
        generateDataKey: (i) => kms.generateDataKey(i),
        encrypt: (i) => kms.encrypt(i),
        decrypt: (i) => kms.decrypt(i),
        reEncrypt: (i) => kms.reEncrypt(i),
      },
      durable: false,
    });
    const r = await pollOnce(racing, { all: true });
    expect(deleted).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.transitions).toEqual([]);
  });

  it('KeyPoller runs passes until stopped; nothing runs after stop()', async () => {
    const key = await newKey();
    await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: key, keyCheckInterval: '1s' });
    const reports: PollReport[] = [];
    let seen!: () => void;
    const firstCheck = new Promise<void>((r) => (seen = r));
    const poller = new KeyPoller(cp, {
      now: () => new Date(), // real time: later than the frozen clock of the last check
      intervalMs: 1,
      minSleepMs: 1,
      onReport: (r) => {
        reports.push(r);
        if (r.checked.length) seen();
      },
    });
    await admin.disableKey(key);
    poller.start();
    expect(poller.running).toBe(true);
    await firstCheck;
    await poller.stop();
    expect(poller.running).toBe(false);
    const n = reports.length;
    expect((await cp.require('a')).status).toBe('STOPPED');
    await new Promise((r) => setTimeout(r, 20));
    expect(reports.length).toBe(n); // nothing ran after stop()
  });
});

describe('rotation', () => {
  it('clickhouse: reads and writes in flight during a rotation all succeed; old key not needed', async () => {
    const k1 = await newKey();
    const k2 = await newKey();
    const svc = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: k1 });
    for (let i = 0; i < 8; i++) await cp.objects.put(svc.id, `o${i}`, `body ${i}`);
    const reader = await plane(); // another process's view, warm cache
    expect(await text(await reader.objects.get(svc.id, 'o0'))).toBe('body 0');
    const traffic = Array.from({ length: 16 }, async (_, i) => {
      if (i % 2) await reader.objects.put(svc.id, `n${i}`, `new ${i}`);
      return text(await reader.objects.get(svc.id, `o${i % 8}`));
    });
    const rotated = cp.update(svc.id, { kmsKey: k2 });
    const bodies = await Promise.all(traffic);
    expect(bodies).toEqual(Array.from({ length: 16 }, (_, i) => `body ${i % 8}`));
    expect((await rotated).kekArn).toBe(k2);
    // The old key's material destroyed: a fresh process reads everything through k2 alone.
    await admin.scheduleKeyDeletion(k1, 7);
    await admin.purge();
    const fresh = await plane();
    for (let i = 0; i < 8; i++)
      expect(await text(await fresh.objects.get(svc.id, `o${i}`))).toBe(`body ${i}`);
    expect(await text(await fresh.objects.get(svc.id, 'n1'))).toBe('new 1');
    expect((await pollOnce(fresh, { all: true })).transitions).toEqual([]);
  });
});

describe('crypto-shredding', () => {
  it('destroyed key: unrecoverable on every path, dated, both profiles', async () => {
    const key = await newKey();
    const ch = await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: key });
    const sql = await cp.create({
      name: 'sql',
      region: 'eu-west-1',
      kmsKey: key,
      profile: 'cloudsql',
    });
    await cp.objects.put(ch.id, 'a', 'secret');
    await cp.objects.put(sql.id, 'a', 'secret');
    await admin.scheduleKeyDeletion(key, 7);
    await admin.purge();
    // Before any poll, a fresh process's read already says so (not a generic key error).
    const fresh = await plane();
    const d0 = await diagOf(fresh.objects.get(ch.id, 'a'));
    expect(d0.code).toBe('CMEK_SERVICE_UNAVAILABLE');
    expect(d0.summary).toMatch(/unrecoverable \(crypto-shredded\)/);

    clock = new Date(clock.getTime() + 5000);
    const r = await pollOnce(cp, { all: true });
    expect(r.transitions.map((t) => `${t.name}:${t.to}`)).toEqual(['ch:STOPPED', 'sql:STOPPED']);
    expect(r.checked.every((c) => c.cryptoShredded)).toBe(true);
    const rec = await cp.require(sql.id);
    expect(rec.keyDestroyed).toMatchObject({ keyArn: key, source: 'detected' });
    expect(rec.statusReason).toMatch(/unrecoverable \(crypto-shredded\)/);
    const d1 = await diagOf(cp.objects.get(sql.id, 'a'));
    expect(d1.code).toBe('CMEK_SERVICE_UNAVAILABLE');
    expect(d1.summary).toContain(rec.keyDestroyed!.at);
    const d2 = await diagOf(cp.start(ch.id));
    expect(d2.code).toBe('CMEK_KEY_INACCESSIBLE');
    expect(d2.summary).toMatch(/crypto-shredded/);
    // cloudsql never resumes: no key can come back.
    expect((await pollOnce(cp, { all: true })).transitions).toEqual([]);
    expect((await cp.require(sql.id)).status).toBe('STOPPED');
  });

  it('replicas and backups under the destroyed key are unrecoverable too', async () => {
    const key = await newKey();
    const other = await newKey();
    // cloudsql: a restore may use another key (clickhouse would inherit the backup's).
    const svc = await cp.create({
      name: 'orders',
      region: 'eu-west-1',
      kmsKey: key,
      profile: 'cloudsql',
    });
    await cp.objects.put(svc.id, 'a', 'secret');
    const replica = await cp.lifecycle.createReplica({
      primary: svc.id,
      name: 'orders-r',
      region: 'eu-west-1',
    });
    expect(await text(await cp.objects.get(replica.id, 'a'))).toBe('secret');
    const backup = await cp.backups.create(svc.id);
    // Before the key is gone, the backup restores under another key.
    const ok = await cp.lifecycle.restore({ backupId: backup.id, name: 'ok', kmsKey: other });
    expect(await text(await cp.objects.get(ok.id, 'a'))).toBe('secret');

    await admin.scheduleKeyDeletion(key, 7);
    await admin.purge();
    const fresh = await plane(); // no warm cache: what any new process sees
    const r = await pollOnce(fresh, { all: true });
    expect(r.transitions.map((t) => `${t.name}:${t.to}`)).toEqual([
      'orders:STOPPED',
      'orders-r:STOPPED',
    ]);
    const d1 = await diagOf(fresh.objects.get(replica.id, 'a'));
    expect(d1.summary).toMatch(/orders-r is unrecoverable \(crypto-shredded\)/);
    // The backup's copy of the wrapped keys is as dead: a restore cannot read it.
    const d2 = await diagOf(
      fresh.lifecycle.restore({ backupId: backup.id, name: 'late', kmsKey: other }),
    );
    expect(d2.code).toBe('CMEK_SERVICE_UNAVAILABLE');
    expect(d2.summary).toMatch(/unrecoverable \(crypto-shredded\)/);
    // The restore made before the destruction lives on under its own key.
    expect(await text(await fresh.objects.get(ok.id, 'a'))).toBe('secret');
  });

  it('a deletion completed by its waiting period is dated by the KMS', async () => {
    const key = await newKey();
    const svc = await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: key });
    const md = await admin.scheduleKeyDeletion(key, 7);
    // Time passes in the KMS too (its own clock): open it again 8 days later.
    const later = openLocalKms({
      dir: join(dir, 'kms'),
      clock: () => new Date(Date.now() + 8 * 86_400_000),
    });
    const cp2 = await openControlPlane({
      dataDir: join(dir, 'data'),
      kms: later.client(SP),
      admin: later.admin(),
      durable: false,
      now: () => new Date(Date.now() + 8 * 86_400_000),
    });
    const { record } = await cp2.checkKey(svc.id);
    expect(record.keyDestroyed).toEqual({
      keyArn: key,
      at: md.deletionDate!.toISOString(),
      source: 'kms',
    });
    expect(record.statusReason).toContain(`destroyed on ${md.deletionDate!.toISOString()}`);
  });
});
