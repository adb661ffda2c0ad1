// Property: whatever a signed client sends to any operation, the server answers with an AWS-shaped
// response — 200, or a 4xx `{"__type","message"}` — and never a 500 (which would mean an input
// reached the local KMS unvalidated and blew up there) and never a crash.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { OPERATION_NAMES, startKmsServer, type KmsServer } from '../../src/kms/server/index.js';
import { sendRaw } from './server-support.js';

describe('kms serve never fails on bad input', () => {
  let dir: string;
  let server: KmsServer;
  let keyArn: string;
  let blob: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmek-fuzz-'));
    const kms = openLocalKms({ dir: join(dir, 'kms') });
    server = await startKmsServer({ kms, port: 0 });
    const admin = kms.client('arn:aws:iam::000000000000:root', { region: 'us-east-1' });
    const key = await admin.createKey({ region: 'us-east-1' });
    keyArn = key.arn;
    await admin.createAlias('alias/fuzz', key.arn);
    const enc = await admin.encrypt({ keyId: key.arn, plaintext: new Uint8Array([1, 2, 3]) });
    blob = Buffer.from(enc.ciphertextBlob).toString('base64');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers random members of every operation with 200 or an AWS 4xx error', async () => {
    // Each member is mostly plausible (so requests get past validation and reach the KMS, in all
    // its states: the fuzzer also disables, rotates and schedules the deletion of the keys) and
    // sometimes junk of any type. Members an operation does not know are ignored, as on AWS.
    const keyId = fc.constantFrom(
      'KEY',
      'alias/fuzz',
      'alias/missing',
      'OTHER_REGION_KEY',
      'not a key',
      '',
      'mrk-00000000000000000000000000000000',
    );
    const junk = fc.oneof(
      fc.constant(null),
      fc.integer({ min: -5, max: 100_000 }),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
    );
    const b64 = (min: number, max: number) =>
      fc
        .uint8Array({ minLength: min, maxLength: max })
        .map((u) => Buffer.from(u).toString('base64'));
    const context = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), {
      maxKeys: 2,
    });
    const plausible: Record<string, fc.Arbitrary<unknown>> = {
      KeyId: keyId,
      Plaintext: b64(0, 5000),
      CiphertextBlob: fc.oneof(fc.constant('BLOB'), fc.constant('TAMPERED'), b64(0, 200)),
      EncryptionContext: fc.oneof(fc.constant({}), context),
      NumberOfBytes: fc.integer({ min: 0, max: 1100 }),
      KeySpec: fc.constantFrom('AES_256', 'AES_128', 'SYMMETRIC_DEFAULT', 'RSA_2048', 'HMAC_256'),
      KeyPairSpec: fc.constantFrom('RSA_2048', 'ECC_NIST_P256', 'RSA_4096'),
      DestinationKeyId: keyId,
      SourceKeyId: keyId,
      AliasName: fc.constantFrom('alias/fuzz', 'alias/new', 'alias/aws/x', 'bad', 'alias/'),
      TargetKeyId: keyId,
      Policy: fc.constantFrom('{}', 'not json', '{"Version":"2012-10-17","Statement":[]}'),
      PendingWindowInDays: fc.integer({ min: 5, max: 32 }),
      RotationPeriodInDays: fc.integer({ min: 80, max: 2600 }),
      Limit: fc.integer({ min: 0, max: 3 }),
      Marker: fc.string({ maxLength: 8 }),
      Description: fc.string({ maxLength: 30 }),
      Tags: fc.array(fc.record({ TagKey: fc.string({ maxLength: 4 }), TagValue: fc.string() }), {
        maxLength: 2,
      }),
      ReplicaRegion: fc.constantFrom('eu-west-1', 'us-east-1', 'nowhere'),
      MultiRegion: fc.boolean(),
      BypassPolicyLockoutSafetyCheck: fc.boolean(),
    };
    const members = fc.record(
      Object.fromEntries(
        Object.entries(plausible).map(([k, arb]) => [
          k,
          fc.oneof({ arbitrary: arb, weight: 8 }, { arbitrary: junk, weight: 1 }),
        ]),
      ),
      { requiredKeys: [] },
    );
    const swap: Record<string, () => string> = {
      KEY: () => keyArn,
      OTHER_REGION_KEY: () => keyArn.replace('us-east-1', 'eu-west-1'),
      BLOB: () => blob,
      TAMPERED: () => blob.slice(0, -4) + 'AAA=',
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATION_NAMES), members, async (op, input) => {
        const body = JSON.stringify(input, (_k, v: unknown) =>
          typeof v === 'string' && Object.hasOwn(swap, v) ? swap[v]!() : v,
        );
        const r = await sendRaw(server.url, `TrentService.${op}`, body);
        if (r.status === 200) return;
        expect(r.status, `${op} ${body} -> ${r.body}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${op} ${body} -> ${r.body}`).toBeLessThan(500);
        expect(typeof r.json.__type).toBe('string');
        expect(typeof r.json.message).toBe('string');
      }),
      { numRuns: Number(process.env.CMEK_FUZZ_RUNS ?? 300) },
    );
  });
});
