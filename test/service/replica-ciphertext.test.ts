// Replicas copy ciphertext (docs/core.md, "Replicas copy ciphertext"), end to end through the
// real binary: `cmek apply` builds a primary with a same-region replica (the primary's key) and
// a cross-region one (its own key); `cmek data put` writes a multi-batch object to the primary.
// Each replica's file must hold the primary's header and chunks byte for byte (only the trailer
// differs: it names the primary as the body's lineage), each replica's key record must hold the
// primary's data key re-wrapped under its own service key, and `cmek data get` on each replica
// must return the exact bytes; a flipped byte or a forged lineage must fail authentication.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '../../src/core/format.js';
import { encodeTrailer } from '../../src/service/object-format.js';
import { objectFileName } from '../../src/service/objects.js';
import { cmek, tempDir } from '../e2e/harness.js';

function ok(dir: string, args: string[]) {
  const r = cmek(dir, args);
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const CONFIG = `
resource "cmek_kms_key" "eu" {
  region = "eu-west-1"
}
resource "cmek_kms_key" "us" {
  region = "us-east-1"
}
resource "cmek_encrypted_service" "p" {
  name    = "p"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.eu.arn
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
  kms_key    = cmek_kms_key.us.arn
}
`;

/** Every file under `root` whose path ends with `suffix`. */
function find(root: string, suffix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && p.endsWith(suffix)) out.push(p);
  }
  return out;
}

/** An object file split into body (header + chunks) and trailer metadata. */
function split(file: Buffer): { body: Buffer; meta: Record<string, unknown> } {
  const metaLen = file.readUInt32BE(file.length - 8);
  const body = file.subarray(0, file.length - 8 - metaLen);
  const meta = JSON.parse(file.subarray(body.length, file.length - 8).toString('utf8')) as Record<
    string,
    unknown
  >;
  return { body, meta };
}

describe('replicas hold byte copies of the primary ciphertext', () => {
  let dir: string;
  let ids: Record<string, string>;
  const data = randomBytes(9 * 1024 * 1024 + 12_345); // three 4 MiB batches, a short last one
  const objectPath = (id: string) => find(dir, join('objects', id, objectFileName('big.bin')))[0]!;

  beforeAll(() => {
    dir = tempDir({ 'main.tf': CONFIG });
    writeFileSync(join(dir, 'big.bin'), data);
    ok(dir, ['apply', '-auto-approve']);
    ok(dir, ['data', 'put', 'p', 'big.bin', join(dir, 'big.bin')]);
    const ls = JSON.parse(ok(dir, ['service', 'ls', '-json']).stdout) as {
      name: string;
      id: string;
    }[];
    ids = Object.fromEntries(ls.map((s) => [s.name, s.id]));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('same header and chunks; the trailer names the primary as lineage', () => {
    const primary = split(readFileSync(objectPath(ids.p!)));
    expect(primary.meta.lineage).toBeUndefined();
    for (const replica of ['p-same', 'p-us']) {
      const copy = split(readFileSync(objectPath(ids[replica]!)));
      expect(copy.body.length).toBe(primary.body.length);
      expect(copy.body.equals(primary.body), replica).toBe(true);
      expect(copy.meta).toEqual({ ...primary.meta, lineage: ids.p });
    }
  });

  it("each replica holds the primary's data key, wrapped under its own service key", () => {
    const { header } = decodeHeader(split(readFileSync(objectPath(ids.p!))).body);
    const dekOf = (id: string) => {
      const rec = JSON.parse(readFileSync(find(dir, `${id}.keys.json`)[0]!, 'utf8')) as {
        wrappedServiceKey: string;
        deks: { id: string; generation: number; wrapped: string }[];
      };
      return { rec, dek: rec.deks.find((d) => d.id === header.dek.id)! };
    };
    const p = dekOf(ids.p!);
    expect(p.dek.generation).toBe(header.dek.generation);
    for (const replica of ['p-same', 'p-us']) {
      const r = dekOf(ids[replica]!);
      expect(r.dek, replica).toBeDefined();
      expect(r.dek.generation).toBe(header.dek.generation);
      // Re-wrapped, not shared: another service key, another wrapping.
      expect(r.rec.wrappedServiceKey).not.toBe(p.rec.wrappedServiceKey);
      expect(r.dek.wrapped).not.toBe(p.dek.wrapped);
    }
  });

  it('cmek data get on each replica returns the exact bytes (authenticated)', () => {
    for (const replica of ['p-same', 'p-us']) {
      const out = join(dir, `${replica}.out`);
      ok(dir, ['data', 'get', replica, 'big.bin', '-o', out]);
      expect(readFileSync(out).equals(data), replica).toBe(true);
    }
  }, 120_000);

  it('a later put on the primary is copied too, and tampering fails authentication', () => {
    const next = randomBytes(100_000);
    writeFileSync(join(dir, 'next.bin'), next);
    ok(dir, ['data', 'put', 'p', 'big.bin', join(dir, 'next.bin')]);
    ok(dir, ['data', 'get', 'p-same', 'big.bin', '-o', join(dir, 'next.out')]);
    expect(readFileSync(join(dir, 'next.out')).equals(next)).toBe(true);

    // A flipped body byte in the replica's copy.
    const path = objectPath(ids['p-same']!);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[5000] = bad[5000]! ^ 1;
    writeFileSync(path, bad);
    const r1 = cmek(dir, ['data', 'get', 'p-same', 'big.bin', '-o', join(dir, 'x.out')]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('CMEK_INTEGRITY');

    // A lineage that is not the replica's primary: refused before any key is used.
    const { body, meta } = split(good);
    const forged = encodeTrailer(
      meta as { name: string; size: number; modifiedAt: string },
      ids['p-us'],
    );
    writeFileSync(path, Buffer.concat([body, forged]));
    const r2 = cmek(dir, ['data', 'get', 'p-same', 'big.bin']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('CMEK_INTEGRITY');
    expect(r2.stderr).toMatch(/binds it to service/);

    // Without a lineage the body is opened under the replica's own context: it fails too.
    writeFileSync(path, Buffer.concat([body, encodeTrailer(meta as never)]));
    const r3 = cmek(dir, ['data', 'get', 'p-same', 'big.bin']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('CMEK_INTEGRITY');
  }, 240_000);
});
