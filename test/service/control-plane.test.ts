import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { MemoryKms } from '../../src/kms/memory.js';
import { openLocalKms } from '../../src/kms/local/index.js';
import {
  openControlPlane,
  parseDuration,
  type ControlPlane,
} from '../../src/service/control-plane.js';
import { objectFileName, type ObjectStore } from '../../src/service/objects.js';
import { CmekRuleError } from '../../src/service/rule-error.js';
import { keyRemovalMessage, noRetrofitMessage } from '../../src/rules/index.js';

/** Temp files a put left: dot-files beside the objects, or anything in .partial. */
async function leftovers(cp: { objects: ObjectStore }, id: string): Promise<string[]> {
  const beside = (await readdir(cp.objects.dirOf(id))).filter(
    (f) => f.startsWith('.') && f !== '.partial',
  );
  const partial = await readdir(cp.objects.partialDirOf(id)).catch(() => [] as string[]);
  return [...beside, ...partial];
}

let dir: string;
let kms: MemoryKms;
let cp: ControlPlane;
let keyArn: string;

function codeOf(e: unknown): string | undefined {
  return e instanceof DiagnosticError ? e.diagnostics[0]?.code : undefined;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<DiagnosticError> {
  try {
    await p;
  } catch (e) {
    expect(codeOf(e), String(e)).toBe(code);
    return e as DiagnosticError;
  }
  throw new Error(`expected ${code}, resolved`);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-cp-'));
  kms = new MemoryKms({ region: 'eu-west-1' });
  keyArn = kms.createKey({ region: 'eu-west-1' }).arn;
  cp = await openControlPlane({ dataDir: dir, kms, durable: false });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('control plane records', () => {
  it('creates, lists, gets by id and name, updates and deletes a service', async () => {
    const s = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: keyArn });
    expect(s.id).toMatch(/^svc-[0-9a-f]{16}$/);
    expect(s).toMatchObject({
      status: 'RUNNING',
      keyOwner: 'customer',
      kekArn: keyArn,
      profile: 'clickhouse',
    });
    expect(s.kmsKeyVersion).toBe('1');
    expect((await cp.get('orders'))?.id).toBe(s.id);
    expect((await cp.get(s.id))?.name).toBe('orders');
    expect((await cp.list()).map((x) => x.name)).toEqual(['orders']);

    const u = await cp.update('orders', { description: 'd', tags: { team: 'a' } });
    expect(u).toMatchObject({ description: 'd', tags: { team: 'a' }, generation: 2 });

    await cp.delete(s.id);
    expect(await cp.get(s.id)).toBeUndefined();
    const types = (await cp.events(s.id)).map((e) => e.type);
    expect(types).toEqual(['created', 'updated', 'deleted']);
  });

  it('never writes plaintext key material: the key record holds wrapped keys only', async () => {
    const s = await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    const rec = JSON.parse(await readFile(cp.keyRecordPath(s.id), 'utf8'));
    expect(Object.keys(rec).sort()).toEqual(
      ['deks', 'kek', 'primaryDek', 'serviceId', 'version', 'wrappedServiceKey'].sort(),
    );
    expect(rec.kek.keyId).toBe(keyArn);
  });

  it('refuses duplicate names and bad names/intervals', async () => {
    await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    await rejectsWith(
      cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn }),
      'APPLY_FAILED',
    );
    await rejectsWith(
      cp.create({ name: '../x', region: 'eu-west-1', kmsKey: keyArn }),
      'CONFIG_SCHEMA',
    );
    await rejectsWith(
      cp.create({ name: 'b', region: 'eu-west-1', kmsKey: keyArn, keyCheckInterval: '10 minutes' }),
      'CONFIG_SCHEMA',
    );
  });

  it('validates the key live: disabled, missing, wrong region', async () => {
    const k2 = kms.createKey({ region: 'eu-west-1' });
    kms.disableKey(k2.keyId);
    const e = await rejectsWith(
      cp.create({ name: 'a', region: 'eu-west-1', kmsKey: k2.arn }),
      'CMEK_KEY_INACCESSIBLE',
    );
    expect(e.diagnostics[0]!.summary).toMatch(/Disabled/);
    await rejectsWith(
      cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn.replace(/key\/.*/, 'key/nope') }),
      'CMEK_KEY_INACCESSIBLE',
    );
    const us = kms.createKey({ region: 'us-east-1' });
    await rejectsWith(
      cp.create({ name: 'a', region: 'eu-west-1', kmsKey: us.arn }),
      'CMEK_REGION_MISMATCH',
    );
    expect(await cp.list()).toEqual([]);
  });

  it('rotates to another key with O(1) KMS calls and keeps every object readable', async () => {
    const s = await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    for (let i = 0; i < 20; i++) await cp.objects.put(s.id, `o${i}`, Buffer.from(`body ${i}`));
    const k2 = kms.createKey({ region: 'eu-west-1' });
    kms.resetCalls();
    const r = await cp.update(s.id, { kmsKey: k2.arn });
    // 4 calls of the live check of the new key + 1 Encrypt (service key cached): not per object.
    expect(kms.totalCalls).toBeLessThanOrEqual(5);
    expect(r.kekArn).toBe(k2.arn);
    expect(r.kmsKey).toBe(k2.arn);
    // A fresh control plane (no cache) reads through the new key only.
    kms.disableKey(keyArn);
    const cp2 = await openControlPlane({ dataDir: dir, kms });
    expect((await cp2.objects.getBuffer('a', 'o7')).toString()).toBe('body 7');
    expect((await cp.events(s.id)).some((e) => e.type === 'rotated')).toBe(true);
  });

  it('refuses key removal and retrofit even if a plan asked for them', async () => {
    await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    const removal = await rejectsWith(
      cp.update('a', { kmsKey: null }, { address: 'cmek_encrypted_service.a' }),
      'CMEK_KEY_REMOVAL',
    );
    // The typed error carries the code and attribute; the text is the rule's (src/rules).
    expect(removal).toBeInstanceOf(CmekRuleError);
    expect(removal).toMatchObject({ code: 'CMEK_KEY_REMOVAL', attribute: 'kms_key' });
    const text = keyRemovalMessage({
      subject: 'cmek_encrypted_service.a',
      key: keyArn,
      attribute: 'kms_key',
    });
    expect(removal.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'CMEK_KEY_REMOVAL',
        ...text,
        attribute: 'kms_key',
        address: 'cmek_encrypted_service.a',
      },
    ]);
    expect((await cp.require('a')).kekArn).toBe(keyArn);

    // Retrofit: a service on a provider-managed key cannot be given a customer key.
    const local = openLocalKms({ dir: join(dir, 'kms'), rootKey: new Uint8Array(32).fill(7) });
    const admin = local.admin();
    const customer = (await admin.createKey({ region: 'eu-west-1' })).arn;
    const withAdmin = await openControlPlane({ dataDir: dir, kms: admin, admin, durable: false });
    await withAdmin.create({ name: 'plain', region: 'eu-west-1' });
    const retrofit = await rejectsWith(
      withAdmin.update('plain', { kmsKey: customer }),
      'CMEK_NO_RETROFIT',
    );
    expect(retrofit).toMatchObject({ code: 'CMEK_NO_RETROFIT', attribute: 'kms_key' });
    expect(retrofit.diagnostics[0]!.summary).toBe(
      noRetrofitMessage({ subject: 'service plain', key: customer }).summary,
    );
    expect((await withAdmin.require('plain')).keyOwner).toBe('managed');
  });

  it('status transitions are logged; data access needs RUNNING; start re-checks the key', async () => {
    const s = await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    await cp.objects.put(s, 'x', 'hello');
    kms.disableKey(keyArn);
    await cp.setStatus(s.id, 'STOPPED', 'key disabled');
    await rejectsWith(cp.objects.get('a', 'x'), 'CMEK_SERVICE_UNAVAILABLE');
    await rejectsWith(cp.objects.put('a', 'y', 'z'), 'CMEK_SERVICE_UNAVAILABLE');
    await rejectsWith(cp.objects.list('a'), 'CMEK_SERVICE_UNAVAILABLE');
    await rejectsWith(cp.start('a'), 'CMEK_KEY_INACCESSIBLE');
    expect((await cp.require('a')).status).toBe('STOPPED');
    kms.enableKey(keyArn);
    expect((await cp.start('a')).status).toBe('RUNNING');
    expect((await cp.objects.getBuffer('a', 'x')).toString()).toBe('hello');
    const ev = (await cp.events(s.id)).filter((e) => e.type === 'status');
    expect(ev.map((e) => [e.from, e.to])).toEqual([
      ['RUNNING', 'STOPPED'],
      ['STOPPED', 'RUNNING'],
    ]);
    expect(ev[0]!.reason).toBe('key disabled');
  });

  it('two control planes on one data dir: one name wins, no update is lost', async () => {
    const other = await openControlPlane({ dataDir: dir, kms, durable: false });
    const results = await Promise.allSettled([
      cp.create({ name: 'race', region: 'eu-west-1', kmsKey: keyArn }),
      other.create({ name: 'race', region: 'eu-west-1', kmsKey: keyArn }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await cp.list()).filter((s) => s.name === 'race')).toHaveLength(1);
    // 20 concurrent tag updates from both: each read-modify-write runs under the service lock.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? cp : other).update('race', { tags: { n: String(i) } }),
      ),
    );
    const rec = await cp.require('race');
    expect(rec.generation).toBe(21);
    expect((await cp.events(rec.id)).filter((e) => e.type === 'updated')).toHaveLength(20);
  });

  it('a key whose access is revoked after creation: data access fails closed', async () => {
    const s = await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn });
    await cp.objects.put(s.id, 'x', 'secret');
    kms.disableKey(keyArn);
    // A fresh process has nothing cached: the KMS refuses to unwrap the service key.
    const fresh = await openControlPlane({ dataDir: dir, kms });
    const e = await rejectsWith(fresh.objects.get('a', 'x'), 'CMEK_KEY_INACCESSIBLE');
    expect(e.diagnostics[0]!.summary).toMatch(/disabled/);
    // This process still has the keys cached...
    expect((await cp.objects.getBuffer('a', 'x')).toString()).toBe('secret');
    // ...until the poller's STOPPED purges them: even forced back to RUNNING it must ask the
    // KMS again, which refuses.
    await cp.setStatus('a', 'STOPPED', 'key disabled');
    await cp.setStatus('a', 'RUNNING', 'forced by the test');
    await rejectsWith(cp.objects.get('a', 'x'), 'CMEK_KEY_INACCESSIBLE');
    kms.enableKey(keyArn);
    expect((await cp.objects.getBuffer('a', 'x')).toString()).toBe('secret');
  });

  it('checkKey: clickhouse stops and waits for start; cloudsql suspends and resumes by itself', async () => {
    const ch = await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: keyArn });
    const sql = await cp.create({
      name: 'sql',
      region: 'eu-west-1',
      kmsKey: keyArn,
      profile: 'cloudsql',
    });
    expect((await cp.checkKey('ch')).failure).toBeUndefined();
    kms.disableKey(keyArn);
    const r1 = await cp.checkKey('ch');
    expect(r1.record.status).toBe('STOPPED');
    expect(r1.failure?.diagnostics[0]?.code).toBe('CMEK_KEY_INACCESSIBLE');
    expect((await cp.checkKey('sql')).record.status).toBe('SUSPENDED');
    kms.enableKey(keyArn);
    expect((await cp.checkKey('ch')).record.status).toBe('STOPPED');
    expect((await cp.checkKey('sql')).record.status).toBe('RUNNING');
    expect((await cp.require(ch.id)).lastKeyCheckAt).toBeDefined();
    const reasons = (await cp.events(sql.id)).filter((e) => e.type === 'status').map((e) => e.to);
    expect(reasons).toEqual(['SUSPENDED', 'RUNNING']);
  });

  it('cloudsql checks the key on every update', async () => {
    await cp.create({ name: 'sql', region: 'eu-west-1', kmsKey: keyArn, profile: 'cloudsql' });
    await cp.create({ name: 'ch', region: 'eu-west-1', kmsKey: keyArn });
    kms.disableKey(keyArn);
    await rejectsWith(cp.update('sql', { description: 'x' }), 'CMEK_KEY_INACCESSIBLE');
    expect((await cp.update('ch', { description: 'x' })).description).toBe('x');
  });

  it('parses Go durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('object store', () => {
  let id: string;
  beforeEach(async () => {
    id = (await cp.create({ name: 'a', region: 'eu-west-1', kmsKey: keyArn })).id;
  });

  it('round-trips put/get/ls/rm, including 0 bytes and odd names', async () => {
    const names = [
      'plain',
      'with/slash',
      '../../etc/passwd',
      'ünïcødé 名前',
      '.hidden',
      'x'.repeat(300),
    ];
    for (const [i, n] of names.entries()) await cp.objects.put(id, n, Buffer.from(`v${i}`));
    await cp.objects.put(id, 'empty', Buffer.alloc(0));
    for (const [i, n] of names.entries()) {
      expect((await cp.objects.getBuffer(id, n)).toString()).toBe(`v${i}`);
    }
    expect((await cp.objects.getBuffer(id, 'empty')).length).toBe(0);
    const ls = await cp.objects.list(id);
    expect(ls.map((o) => o.name)).toEqual([...names, 'empty'].sort());
    expect(ls.find((o) => o.name === 'empty')!.size).toBe(0);
    // Every file stays inside the service's directory.
    const files = await readdir(cp.objects.dirOf(id));
    expect(files.every((f) => !f.includes('/'))).toBe(true);
    expect(await cp.objects.remove(id, '../../etc/passwd')).toBe(true);
    expect(await cp.objects.remove(id, '../../etc/passwd')).toBe(false);
    await rejectsWith(cp.objects.get(id, '../../etc/passwd'), 'USAGE');
    await rejectsWith(cp.objects.put(id, '', 'x'), 'USAGE');
  });

  it('overwrites atomically and reads byte ranges', async () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    await cp.objects.put(id, 'r', Readable.from([body.subarray(0, 1000), body.subarray(1000)]));
    expect((await cp.objects.getBuffer(id, 'r')).equals(body)).toBe(true);
    for (const [s, e] of [
      [0, 10],
      [65_530, 65_550],
      [131_072, 200_000],
      [299_990, 300_000],
      [5, 5],
    ] as const) {
      expect(
        (await cp.objects.getBuffer(id, 'r', { start: s, end: e })).equals(body.subarray(s, e)),
      ).toBe(true);
    }
    expect(
      (await cp.objects.getBuffer(id, 'r', { start: 299_000 })).equals(body.subarray(299_000)),
    ).toBe(true);
    await cp.objects.put(id, 'r', 'short');
    expect((await cp.objects.getBuffer(id, 'r')).toString()).toBe('short');
    expect(await leftovers(cp, id)).toEqual([]);
  });

  it('a put whose source fails leaves the previous version and no temp file', async () => {
    await cp.objects.put(id, 'doc', 'version 1');
    let n = 0;
    const failing = new Readable({
      read() {
        if (n++ < 3) this.push(Buffer.alloc(100_000, 1));
        else this.destroy(new Error('source broke'));
      },
    });
    await expect(cp.objects.put(id, 'doc', failing)).rejects.toThrow('source broke');
    expect((await cp.objects.getBuffer(id, 'doc')).toString()).toBe('version 1');
    expect(await leftovers(cp, id)).toEqual([]);
  });

  it('a put whose source was destroyed before the put read it fails instead of waiting', async () => {
    // As a server's upload whose client went away while the put waited for the service's key.
    await cp.objects.put(id, 'doc', 'version 1');
    for (const cause of [undefined, new Error('client gone')]) {
      const gone = new Readable({ read() {} });
      gone.push(Buffer.alloc(1000, 1));
      gone.on('error', () => {});
      gone.destroy(cause);
      await new Promise((r) => setImmediate(r));
      await expect(cp.objects.put(id, 'doc', gone)).rejects.toThrow(
        cause ? 'client gone' : 'closed before its end',
      );
    }
    expect((await cp.objects.getBuffer(id, 'doc')).toString()).toBe('version 1');
    expect(await leftovers(cp, id)).toEqual([]);
  });

  it('stores no plaintext at rest', async () => {
    const marker = 'PLAINTEXT-MARKER-7f3a';
    await cp.objects.put(id, 'doc', Buffer.from(`${marker} `.repeat(10_000)));
    const walk = async (d: string): Promise<string[]> => {
      const out: string[] = [];
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) out.push(...(await walk(p)));
        else out.push(p);
      }
      return out;
    };
    const files = await walk(dir);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      expect((await readFile(f)).includes(Buffer.from(marker)), f).toBe(false);
    }
  });

  it('detects tampering and swapped objects (CMEK_INTEGRITY)', async () => {
    await cp.objects.put(id, 'a1', Buffer.from('first object'));
    await cp.objects.put(id, 'a2', Buffer.from('other object'));
    const p1 = cp.objects.pathOf(id, 'a1');
    const raw = await readFile(p1);
    raw[60] = raw[60]! ^ 1;
    const { writeFile, copyFile } = await import('node:fs/promises');
    await writeFile(p1, raw);
    await rejectsWith(cp.objects.getBuffer(id, 'a1'), 'CMEK_INTEGRITY');
    await rejectsWith(cp.objects.getBuffer(id, 'a1', { start: 0, end: 4 }), 'CMEK_INTEGRITY');
    // Copy a2's file over a3's name: the trailer name mismatch hides it, and a rename of the
    // body under another name fails the context binding.
    await copyFile(cp.objects.pathOf(id, 'a2'), cp.objects.pathOf(id, 'a3'));
    await rejectsWith(cp.objects.get(id, 'a3'), 'USAGE');
  });

  it('writing 1,000 objects costs at most 1 KMS call (fresh process, cached key)', async () => {
    const fresh = await openControlPlane({ dataDir: dir, kms, durable: false });
    kms.resetCalls();
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 100; i++) await fresh.objects.put(id, `o-${w}-${i}`, Buffer.from('x'));
      }),
    );
    expect(kms.totalCalls).toBe(1);
    expect((await fresh.objects.list(id)).length).toBe(1000);
  });

  it('refuses object names whose file would collide with another name', () => {
    expect(objectFileName('a')).not.toBe(objectFileName('b'));
    expect(objectFileName('x'.repeat(300))).toMatch(/^[0-9a-f]{64}\.hobj$/);
  });
});
