// Another client nobody here wrote: the AWS CLI (`aws kms ... --endpoint-url`), which signs with
// botocore's SigV4 and parses responses with botocore's JSON 1.1 parser. Needs `aws` on PATH
// (Debian: `apt-get install -y awscli`); without it this suite is skipped, loudly.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';

const probe = spawnSync('aws', ['--version'], { encoding: 'utf8' });
const AWS_CLI = probe.status === 0 ? `${probe.stdout}${probe.stderr}`.trim() : undefined;
if (!AWS_CLI) {
  console.warn(
    '\n*** SKIPPING test/kms/awscli.test.ts: the AWS CLI (`aws`) is not on PATH. ' +
      'Install it with `apt-get install -y awscli` to run the AWS CLI interop tests. ***\n',
  );
}

describe.skipIf(!AWS_CLI)(
  `AWS CLI against cmek kms serve (${AWS_CLI ?? 'aws not installed'})`,
  () => {
    let dir: string;
    let server: KmsServer;

    /** Run `aws kms ...` against the server; returns exit status, stdout, stderr. Asynchronous on
     * purpose: the server runs in this process, so a synchronous spawn would deadlock it. */
    function aws(
      args: string[],
      env: Record<string, string> = {},
    ): Promise<{ status: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        execFile(
          'aws',
          ['kms', ...args, '--endpoint-url', server.url, '--output', 'json'],
          {
            encoding: 'utf8',
            env: {
              PATH: process.env.PATH ?? '',
              HOME: dir,
              AWS_ACCESS_KEY_ID: 'test',
              AWS_SECRET_ACCESS_KEY: 'test',
              AWS_DEFAULT_REGION: 'eu-west-1',
              // No user configuration, no pager, no instance metadata lookups, no retries.
              AWS_CONFIG_FILE: join(dir, 'no-config'),
              AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
              AWS_PAGER: '',
              AWS_EC2_METADATA_DISABLED: 'true',
              AWS_MAX_ATTEMPTS: '1',
              ...env,
            },
          },
          (err, stdout, stderr) => {
            const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ status, stdout, stderr });
          },
        );
      });
    }
    async function ok(args: string[]): Promise<Record<string, unknown>> {
      const r = await aws(args);
      if (r.status !== 0) throw new Error(`aws kms ${args.join(' ')} failed:\n${r.stderr}`);
      return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cmek-awscli-'));
      server = await startKmsServer({ kms: openLocalKms({ dir: join(dir, 'kms') }), port: 0 });
    });
    afterAll(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    // Each `aws` run costs a Python start-up (1-3 s on a busy machine), so the calls are few and
    // independent ones run concurrently.
    it('round-trips keys, aliases, Encrypt/Decrypt and data keys; errors carry AWS names', async () => {
      const pt = join(dir, 'pt.bin');
      writeFileSync(pt, 'attack at dawn');
      const [created, badSecret, unknownKey] = await Promise.all([
        ok(['create-key', '--description', 'from the aws cli']),
        aws(['list-keys'], { AWS_SECRET_ACCESS_KEY: 'wrong' }),
        aws(['list-keys'], { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN' }),
      ]);
      expect(badSecret.stderr).toMatch(/\(InvalidSignatureException\) when calling the ListKeys/);
      expect(unknownKey.stderr).toMatch(/\(UnrecognizedClientException\)/);
      const md = created.KeyMetadata as Record<string, unknown>;
      expect(md).toMatchObject({
        Arn: expect.stringMatching(/^arn:aws:kms:eu-west-1:000000000000:key\//),
        KeyState: 'Enabled',
        Description: 'from the aws cli',
        KeySpec: 'SYMMETRIC_DEFAULT',
      });
      const arn = md.Arn as string;

      const [, enc, dk] = await Promise.all([
        ok(['create-alias', '--alias-name', 'alias/cli', '--target-key-id', arn]),
        ok([
          'encrypt',
          '--key-id',
          arn,
          '--plaintext',
          `fileb://${pt}`,
          '--encryption-context',
          'service=s1',
        ]),
        ok(['generate-data-key', '--key-id', arn, '--key-spec', 'AES_256']),
      ]);
      expect(enc.KeyId).toBe(arn);
      expect(Buffer.from(dk.Plaintext as string, 'base64')).toHaveLength(32);
      const ct = join(dir, 'ct.bin');
      writeFileSync(ct, Buffer.from(enc.CiphertextBlob as string, 'base64'));

      const [byAlias, dec, wrong] = await Promise.all([
        ok(['describe-key', '--key-id', 'alias/cli']),
        ok(['decrypt', '--ciphertext-blob', `fileb://${ct}`, '--encryption-context', 'service=s1']),
        aws([
          'decrypt',
          '--ciphertext-blob',
          `fileb://${ct}`,
          '--encryption-context',
          'service=s2',
        ]),
      ]);
      expect((byAlias.KeyMetadata as Record<string, unknown>).Arn).toBe(arn);
      expect(Buffer.from(dec.Plaintext as string, 'base64').toString()).toBe('attack at dawn');
      expect(dec.KeyId).toBe(arn);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/\(InvalidCiphertextException\) when calling the Decrypt/);

      const sched = await ok([
        'schedule-key-deletion',
        '--key-id',
        arn,
        '--pending-window-in-days',
        '7',
      ]);
      expect(sched).toMatchObject({
        KeyId: arn,
        KeyState: 'PendingDeletion',
        PendingWindowInDays: 7,
      });
      expect(sched.DeletionDate).toBeDefined();
      const pending = await aws(['encrypt', '--key-id', arn, '--plaintext', `fileb://${pt}`]);
      expect(pending.stderr).toMatch(/\(KMSInvalidStateException\) when calling the Encrypt/);
    });
  },
);

if (!AWS_CLI) {
  describe('AWS CLI interop', () => {
    it.skip('SKIPPED: `aws` is not on PATH (apt-get install -y awscli)', () => {});
  });
}
