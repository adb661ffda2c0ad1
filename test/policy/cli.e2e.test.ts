// `cmek policy check` through the real built CLI (test/e2e/harness.ts): exit codes 0/1/2,
// every format, --output, --skip, .cmek-policy.json, HCL comment suppressions, our own
// `cmek plan -json`, and plans/states made by the real terraform binary with the built-in
// terraform_data resource (offline; skipped loudly when terraform is absent).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmek, copyExample, tempDir } from '../e2e/harness.js';

const PLANS = join(import.meta.dirname, '..', 'fixtures', 'policy', 'plans');
const T = 180_000;

const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasTerraform)
  console.warn('\n*** terraform is not installed: the terraform_data plan tests are SKIPPED ***\n');

describe('cmek policy check (real CLI)', () => {
  it(
    'exit 0 without error findings, 1 with one, 2 for an unreadable input (no stack trace)',
    () => {
      const dir = tempDir();
      const ok = cmek(dir, ['policy', 'check', join(PLANS, 'region-mismatch-aws-good.json')]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('0 error(s)');
      const bad = cmek(dir, ['policy', 'check', join(PLANS, 'region-mismatch-aws-bad.json')]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain('CMEK_REGION_MISMATCH');
      writeFileSync(join(dir, 'broken.json'), '{"resource_changes": [');
      for (const [path, why] of [
        ['missing.json', 'does not exist'],
        ['broken.json', 'not valid JSON'],
      ] as const) {
        const r = cmek(dir, ['policy', 'check', path]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('POLICY_INPUT');
        expect(r.stderr).toContain(path);
        expect(r.stderr).toContain(why);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      const warnOnly = cmek(dir, ['policy', 'check', join(PLANS, 'rotation-off-aws-bad.json')]);
      expect(warnOnly.code).toBe(0);
    },
    T,
  );

  it(
    'several inputs, --format sarif/junit/json with --output, --skip',
    () => {
      const dir = tempDir();
      const inputs = [
        join(PLANS, 'encrypted-replace-aws-bad.json'),
        join(PLANS, 'rotation-off-google-bad.json'),
      ];
      const s = cmek(dir, [
        'policy',
        'check',
        ...inputs,
        '--format',
        'sarif',
        '--output',
        'out.sarif',
      ]);
      expect(s.code).toBe(1);
      expect(s.stdout).toBe('');
      const sarif = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
      expect(sarif.version).toBe('2.1.0');
      expect(sarif.runs[0].results).toHaveLength(2);
      const skipped = cmek(dir, [
        'policy',
        'check',
        ...inputs,
        '--skip',
        'CMEK_ENCRYPTED_REPLACE',
        '--format',
        'json',
      ]);
      expect(skipped.code).toBe(0);
      const j = JSON.parse(skipped.stdout);
      expect(j.summary).toEqual({ errors: 0, warnings: 1, suppressed: 1 });
      const junit = cmek(dir, ['policy', 'check', ...inputs, '--format', 'junit']);
      expect(junit.stdout).toMatch(/^<\?xml/);
      expect(junit.stdout).toContain('<failure');
    },
    T,
  );

  it(
    '.cmek-policy.json raises a warning to an error; a bad config is exit 2',
    () => {
      const dir = tempDir({
        '.cmek-policy.json': JSON.stringify({ severity: { CMEK_KEY_ROTATION_OFF: 'error' } }),
      });
      const r = cmek(dir, ['policy', 'check', join(PLANS, 'rotation-off-aws-bad.json')]);
      expect(r.code).toBe(1);
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ severity: { NOPE: 'error' } }));
      const b = cmek(dir, [
        'policy',
        'check',
        '--config',
        'bad.json',
        join(PLANS, 'rotation-off-aws-bad.json'),
      ]);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain('"NOPE" is not a diagnostic code');
    },
    T,
  );

  it(
    '.tf directory: findings at file:line, an HCL comment suppresses with its reason',
    () => {
      const dir = tempDir({
        'main.tf': [
          'provider "aws" {',
          '  region = "eu-west-1"',
          '}',
          '',
          'resource "aws_kms_key" "db" {',
          '  enable_key_rotation = false # cmek:skip=CMEK_KEY_ROTATION_OFF rotated by the HSM team',
          '}',
          '',
          'resource "aws_kms_key" "other" {',
          '  enable_key_rotation = false',
          '}',
          '',
          'resource "aws_db_instance" "db" {',
          '  identifier        = "db"',
          '  storage_encrypted = true',
          '  kms_key_id        = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
          '}',
          '',
        ].join('\n'),
      });
      const r = cmek(dir, ['policy', 'check', '.', '--format', 'json']);
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout);
      const by = (code: string, addr: string) =>
        j.findings.find(
          (f: { code: string; address: string }) => f.code === code && f.address === addr,
        );
      const region = by('CMEK_REGION_MISMATCH', 'aws_db_instance.db');
      expect(region).toMatchObject({ file: 'main.tf', line: 16, severity: 'error' });
      expect(by('CMEK_KEY_ROTATION_OFF', 'aws_kms_key.db').suppressed.justification).toContain(
        'rotated by the HSM team',
      );
      expect(by('CMEK_KEY_ROTATION_OFF', 'aws_kms_key.other').suppressed).toBeNull();
    },
    T,
  );

  it(
    "our own `cmek plan -json` is an input like terraform's",
    () => {
      const dir = copyExample('quickstart');
      const plan = cmek(dir, ['plan', '-json']);
      expect(plan.code, plan.stderr).toBe(0);
      writeFileSync(join(dir, 'plan.json'), plan.stdout);
      const r = cmek(dir, ['policy', 'check', 'plan.json', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.inputs[0].kind).toBe('plan');
      expect(j.inputs[0].resources).toBeGreaterThan(0);
    },
    T,
  );

  it.skipIf(!hasTerraform)(
    'terraform plan → show -json → policy check, with terraform_data (real terraform binary)',
    () => {
      const dir = tempDir({
        'main.tf': 'resource "terraform_data" "a" {\n  input = "x"\n}\n',
      });
      const tf = (args: string[]) => {
        const r = spawnSync('terraform', args, {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
        });
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      tf(['init', '-input=false', '-no-color']);
      tf(['plan', '-input=false', '-no-color', '-out=tfplan']);
      writeFileSync(join(dir, 'plan.json'), tf(['show', '-json', 'tfplan']));
      const r = cmek(dir, ['policy', 'check', 'plan.json', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).inputs[0]).toMatchObject({ kind: 'plan', resources: 1 });
      // The binary plan itself is refused with a remedy, exit 2.
      const bin = cmek(dir, ['policy', 'check', 'tfplan']);
      expect(bin.code).toBe(2);
      expect(bin.stderr).toContain('terraform show -json');
      // A state shown as JSON.
      tf(['apply', '-input=false', '-no-color', '-auto-approve']);
      writeFileSync(join(dir, 'state.json'), tf(['show', '-json']));
      const s = cmek(dir, ['policy', 'check', 'state.json', '--format', 'json']);
      expect(s.code, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout).inputs[0]).toMatchObject({ kind: 'state', resources: 1 });
      expect(existsSync(join(dir, 'terraform.tfstate'))).toBe(true);
    },
    T,
  );
});
