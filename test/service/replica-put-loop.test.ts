// A put to a primary with replicas writes each in-sync replica's file in its own write loop
// (src/service/objects.ts, object-write.ts; docs/core.md "Replicas copy ciphertext"): no copy
// after the put. Through the real store on the local KMS and real files: the replicas' bodies
// are byte copies that authenticate, none comes from the copy-after path, a failed put leaves
// every service with its previous object and no temp file, and so does a writer killed with
// SIGKILL in the middle of the loop.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { openLocalKms } from '../../src/kms/local/index.js';
import { openControlPlane, type ControlPlane } from '../../src/service/control-plane.js';
import { writeBody } from '../../src/service/object-write.js';
import { identityCodec } from '../../src/service/object-codec.js';
import type { ServiceRecord } from '../../src/service/types.js';

const ROOT_KEY = new Uint8Array(32).fill(9);
let dir: string;
let cp: ControlPlane;
let p: ServiceRecord;
let same: ServiceRecord;
let cross: ServiceRecord;

async function open(): Promise<ControlPlane> {
  const kms = openLocalKms({ dir: join(dir, 'kms'), rootKey: ROOT_KEY }).admin();
  return openControlPlane({ dataDir: join(dir, 'data'), kms, admin: kms, durable: true });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-replput-'));
  cp = await open();
  const kms = openLocalKms({ dir: join(dir, 'kms'), rootKey: ROOT_KEY }).admin();
  const eu = (await kms.createKey({ region: 'eu-west-1' })).arn;
  const us = (await kms.createKey({ region: 'us-east-1' })).arn;
  p = await cp.create({ name: 'p', region: 'eu-west-1', kmsKey: eu });
  same = await cp.lifecycle.createReplica({ primary: 'p', name: 'p-same', region: 'eu-west-1' });
  cross = await cp.lifecycle.createReplica({
    primary: 'p',
    name: 'p-us',
    region: 'us-east-1',
    kmsKey: us,
  });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Body (header + chunks) and trailer metadata of an object file. */
function split(file: Buffer): { body: Buffer; meta: Record<string, unknown> } {
  const metaLen = file.readUInt32BE(file.length - 8);
  const bodyEnd = file.length - 8 - metaLen;
  return {
    body: file.subarray(0, bodyEnd),
    meta: JSON.parse(file.subarray(bodyEnd, bodyEnd + metaLen).toString('utf8')) as Record<
      string,
      unknown
    >,
  };
}

const fileOf = (svc: ServiceRecord, name: string) => readFileSync(cp.objects.pathOf(svc.id, name));

/** Temp files left in a service's partial directory. */
const partials = (svc: ServiceRecord) => {
  const d = cp.objects.partialDirOf(svc.id);
  return existsSync(d) ? readdirSync(d) : [];
};

/** Counts the copies made after a put (the old path). */
function countCopies(store: ControlPlane['objects']): () => number {
  let n = 0;
  const orig = store.copyCiphertext.bind(store);
  store.copyCiphertext = (...args) => {
    n++;
    return orig(...args);
  };
  return () => n;
}

describe('a put writes its replicas in the same loop', () => {
  it('replica bodies are byte copies, written without a copy after the put, and authenticate', async () => {
    const copies = countCopies(cp.objects);
    const data = randomBytes(9 * 1024 * 1024 + 123); // three 4 MiB batches, the last short
    await cp.objects.put('p', 'big', data);
    expect(copies()).toBe(0);
    const primary = split(fileOf(p, 'big'));
    for (const r of [same, cross]) {
      const copy = split(fileOf(r, 'big'));
      expect(copy.body.equals(primary.body)).toBe(true);
      expect(copy.meta).toMatchObject({ name: 'big', size: data.length, lineage: p.id });
      expect((await cp.objects.getBuffer(r.id, 'big')).equals(data)).toBe(true);
      expect(partials(r)).toEqual([]);
    }
    // A flipped byte in a replica's copy fails authentication there.
    const path = cp.objects.pathOf(cross.id, 'big');
    const bad = readFileSync(path);
    bad[5_000_000] = bad[5_000_000]! ^ 1;
    writeFileSync(path, bad);
    await expect(cp.objects.getBuffer(cross.id, 'big')).rejects.toSatisfy(
      (e) => e instanceof DiagnosticError && e.diagnostics[0]?.code === 'CMEK_INTEGRITY',
    );
  });

  it('a replica that is not in sync is still copied after the put', async () => {
    await cp.setStatus(cross.id, 'STOPPED', 'test');
    const copies = countCopies(cp.objects);
    await cp.objects.put('p', 'a', 'alpha');
    expect((await cp.require(cross.id)).outOfSync).toBe(true);
    await cp.setStatus(cross.id, 'RUNNING', 'test');
    await cp.objects.put('p', 'b', 'bravo'); // resync: the old path, object by object
    expect(copies()).toBeGreaterThan(0);
    expect((await cp.objects.getBuffer(cross.id, 'a')).toString()).toBe('alpha');
    expect((await cp.objects.getBuffer(cross.id, 'b')).toString()).toBe('bravo');
    expect((await cp.objects.getBuffer(same.id, 'b')).toString()).toBe('bravo');
  });

  it('concurrent puts of one name leave the replicas on the same version as the primary', async () => {
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: 4 }, () => randomBytes(5 * 1024 * 1024 + 17));
      await Promise.all(bodies.map((b) => cp.objects.put('p', 'race', b)));
      const primary = split(fileOf(p, 'race')).body;
      for (const r of [same, cross])
        expect(split(fileOf(r, 'race')).body.equals(primary)).toBe(true);
      const got = await cp.objects.getBuffer(cross.id, 'race');
      expect(bodies.some((b) => b.equals(got))).toBe(true);
    }
  }, 60_000);

  it('a put whose body fails leaves every service with its previous object and no temp file', async () => {
    const old = randomBytes(5 * 1024 * 1024);
    await cp.objects.put('p', 'o', old);
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 10 * 1024 * 1024) return this.destroy(new Error('client went away'));
        sent += 1024 * 1024;
        this.push(randomBytes(1024 * 1024));
      },
    });
    await expect(cp.objects.put('p', 'o', failing)).rejects.toThrow(/client went away/);
    for (const s of [p, same, cross]) {
      expect((await cp.objects.getBuffer(s.id, 'o')).equals(old)).toBe(true);
      expect(partials(s)).toEqual([]);
    }
  });

  it("a mirror file that cannot be written is dropped; the object's own file is complete", async () => {
    const d = await mkdtemp(join(tmpdir(), 'cmek-mirror-'));
    try {
      const sealer = await identityCodec.sealer!(p, 'x');
      const mirrors = [{ tmp: join(d, 'no-such-dir', 'm.tmp') }, { tmp: join(d, 'ok.tmp') }];
      const data = randomBytes(5 * 1024 * 1024);
      const info = await writeBody(join(d, 'own.tmp'), 'x', sealer, data, false, mirrors);
      expect(info.size).toBe(data.length);
      expect(mirrors[0]!).toHaveProperty('failed');
      expect(mirrors[1]!).not.toHaveProperty('failed');
      const own = readFileSync(join(d, 'own.tmp'));
      expect(own.subarray(0, data.length).equals(data)).toBe(true);
      expect(readFileSync(join(d, 'ok.tmp')).equals(own)).toBe(true);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('a writer killed mid-put leaves the previous object everywhere; its temp files are swept', async () => {
    const old = randomBytes(1024 * 1024);
    await cp.objects.put('p', 'k', old);
    const root = resolve(import.meta.dirname, '../..');
    const script = join(dir, 'writer.mts');
    writeFileSync(
      script,
      `import { Readable } from 'node:stream';
import { openLocalKms } from ${JSON.stringify(join(root, 'src/kms/local/index.ts'))};
import { openControlPlane } from ${JSON.stringify(join(root, 'src/service/control-plane.ts'))};
const kms = openLocalKms({ dir: process.argv[2], rootKey: new Uint8Array(32).fill(9) }).admin();
const cp = await openControlPlane({ dataDir: process.argv[3], kms, admin: kms, durable: true });
const piece = Buffer.alloc(1024 * 1024, 7);
// Endless body, 1 MiB per tick: the put never finishes on its own.
const body = new Readable({ read() { setTimeout(() => this.push(piece), 5); } });
await cp.objects.put('p', 'k', body);
`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, join(dir, 'kms'), join(dir, 'data')],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
    // Wait until the primary's and both replicas' temp files hold several batches.
    const big = (s: ServiceRecord) =>
      partials(s).some((f) => statSync(join(cp.objects.partialDirOf(s.id), f)).size > 12 << 20);
    const deadline = Date.now() + 60_000;
    while (!(big(p) && big(same) && big(cross))) {
      if (child.exitCode !== null) throw new Error(`writer exited early: ${err}`);
      if (Date.now() > deadline) throw new Error(`no temp files grew: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    const after = await open(); // a fresh store: it sweeps what the dead writer left
    for (const s of [p, same, cross]) {
      expect((await after.objects.getBuffer(s.id, 'k')).equals(old)).toBe(true);
      expect(partials(s)).toEqual([]);
    }
  }, 120_000);
});
