// The same constructs, Aspect and ClickHouse helper under `cdktn`, the community fork of the
// archived cdktf. cdktn is not a dependency: point CMEK_CDKTN_DIR at a directory where
// `npm install cdktn constructs` ran (docs/cdktf.md, "cdktf and cdktn"). The test builds a copy
// of the package whose `cdktf` and `constructs` are cdktn's (node --preserve-symlinks, so the
// provider-aws constructs bind to cdktn too) and runs a synth script there.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBin, ROOT } from '../e2e/harness.js';

const CDKTN = process.env.CMEK_CDKTN_DIR;
const found = CDKTN !== undefined && existsSync(join(CDKTN, 'node_modules', 'cdktn'));
if (!found)
  console.warn(
    'SKIPPED test/cdktf/cdktn.test.ts: set CMEK_CDKTN_DIR to a directory with cdktn installed ' +
      '(npm install cdktn constructs) to run the cdktf tests against the cdktn fork.',
  );

const SCRIPT = `
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { App, Aspects, TerraformResource, TerraformStack, Testing } from 'cdktf';
import { CmekProvider, CmekRules, EncryptedService, KmsKey, Replica } from 'cmek/cdktf';
import { ClickHouseCmekKey } from 'cmek/cdktf/aws';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
const out = {};
out.cdktf = realpathSync(createRequire(import.meta.url).resolve('cdktf'));
// Constructs, provider, Testing synth and matchers.
{
  const stack = new TerraformStack(Testing.app(), 'app');
  new CmekProvider(stack, 'cmek', { dataDir: '.cmek' });
  const key = new KmsKey(stack, 'k', { region: 'eu-west-1' });
  const db = new EncryptedService(stack, 'db', { name: 'db', region: 'eu-west-1', kmsKey: key.arn });
  new Replica(stack, 'ro', { primaryId: db.id, name: 'ro', region: 'eu-west-1' });
  const synth = Testing.synth(stack);
  out.constructs =
    Testing.toHaveResourceWithProperties(synth, EncryptedService.tfResourceType, {
      kms_key: '\${cmek_kms_key.k.arn}',
    }) && JSON.parse(synth).terraform.required_providers.cmek.source === 'registry.terraform.io/cmek/cmek';
}
// The Aspect fails synth with the code.
{
  const app = new App({ outdir: process.argv[2] });
  const stack = new TerraformStack(app, 'app');
  new CmekProvider(stack, 'cmek');
  const key = new KmsKey(stack, 'k', { region: 'eu-west-1' });
  new EncryptedService(stack, 'us', { name: 'us', region: 'us-east-1', kmsKey: key.arn });
  Aspects.of(stack).add(new CmekRules());
  try {
    app.synth();
    out.aspect = 'synth did not fail';
  } catch (e) {
    out.aspect = String(e.message).includes('[app/us] [CMEK_REGION_MISMATCH]') || String(e.message);
  }
}
// ClickHouseCmekKey with @cdktf/provider-aws on cdktn.
{
  const stack = new TerraformStack(Testing.app(), 'aws');
  new AwsProvider(stack, 'aws', { region: 'us-east-2' });
  new ClickHouseCmekKey(stack, 'ch', { accountId: '111122223333', serviceRoleArn: 'arn:aws:iam::576599896960:role/prod-kms-request-role' });
  const synth = Testing.synth(stack);
  out.aws = Testing.toHaveResource(synth, 'aws_kms_key') && Testing.toHaveResource(synth, 'aws_kms_key_policy');
  // The provider-aws constructs are cdktn's TerraformResources (not a second cdktf's).
  out.awsOnCdktn = stack.node.findAll().filter((c) => c instanceof TerraformResource).length;
}
console.log(JSON.stringify(out));
`;

let work: string | undefined;
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('cmek/cdktf under cdktn', () => {
  it.skipIf(!found)(
    'constructs, the Aspect and ClickHouseCmekKey synthesize with cdktn (skipped unless CMEK_CDKTN_DIR names a cdktn install)',
    () => {
      const built = resolve(dirname(cliBin()), '..', '..');
      work = mkdtempSync(join(tmpdir(), 'cmek-cdktn-'));
      cpSync(join(built, 'dist'), join(work, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(work, 'package.json'));
      const nm = join(work, 'node_modules');
      mkdirSync(nm);
      // Every dependency from the repo, except cdktf and constructs: cdktn's.
      const main = join(ROOT, 'node_modules');
      for (const name of readdirSync(main)) {
        if (name === 'cdktf' || name === 'constructs' || name.startsWith('.')) continue;
        symlinkSync(join(main, name), join(nm, name));
      }
      symlinkSync(join(CDKTN!, 'node_modules', 'cdktn'), join(nm, 'cdktf'));
      symlinkSync(join(CDKTN!, 'node_modules', 'constructs'), join(nm, 'constructs'));
      writeFileSync(join(work, 'synth.mjs'), SCRIPT);
      const r = spawnSync(
        process.execPath,
        ['--preserve-symlinks', '--preserve-symlinks-main', 'synth.mjs', join(work, 'out')],
        { cwd: work, encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(out.cdktf).toContain('/cdktn/');
      expect(out).toMatchObject({ constructs: true, aspect: true, aws: true, awsOnCdktn: 2 });
    },
    300_000,
  );
});
