// `cmek policy check` on a `.tf` directory with local modules, through the real built CLI: the
// local module calls are followed with the engine's own module loader, findings inside a module
// are at the module file's line with the module address, a module's variables take the call's
// arguments, references inside a module link its resources; a remote module keeps its note.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';

beforeAll(() => {
  cliBin();
}, 180_000);

const KMS_MODULE = [
  'variable "rotation" {',
  '  type    = bool',
  '  default = true',
  '}',
  '',
  'resource "aws_kms_key" "this" {',
  '  description             = "app key"',
  '  enable_key_rotation     = var.rotation',
  '  deletion_window_in_days = 30',
  '}',
  '',
  'variable "db_key" {',
  '  type    = string',
  '  default = "alias/app"',
  '}',
  '',
  'module "db" {',
  '  source = "../db"',
  '  key    = var.db_key',
  '}',
  '',
].join('\n');

const DB_MODULE = [
  'variable "key" {',
  '  type = string',
  '}',
  '',
  'resource "aws_db_instance" "db" {',
  '  engine            = "postgres"',
  '  instance_class    = "db.t3.micro"',
  '  storage_encrypted = true',
  '  kms_key_id        = var.key',
  '}',
  '',
].join('\n');

describe('cmek policy check follows local modules in .tf directories', () => {
  it('reports findings inside nested modules at their file:line with module addresses', () => {
    const dir = tempDir({
      'main.tf': [
        'module "kms" {',
        '  source   = "./modules/kms"',
        '  rotation = false',
        '  db_key   = "not-a-key-reference"',
        '}',
        '',
        'module "remote" {',
        '  source = "terraform-aws-modules/kms/aws"',
        '}',
        '',
      ].join('\n'),
      'modules/kms/main.tf': KMS_MODULE,
      'modules/db/main.tf': DB_MODULE,
    });
    const r = cmek(dir, ['policy', 'check', '--format', 'json', '.']);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ code: string; address: string; file?: string; line?: number }>;
      notes: Array<{ summary: string; line?: number }>;
    };
    const rotation = report.findings.find((f) => f.code === 'CMEK_KEY_ROTATION_OFF');
    expect(rotation).toMatchObject({ address: 'module.kms.aws_kms_key.this', line: 8 });
    expect(rotation?.file).toMatch(/modules[/\\]kms[/\\]main\.tf$/);
    // The root's argument reaches the nested module's variable through the kms module's.
    const format = report.findings.find((f) => f.code === 'CMEK_KEY_FORMAT');
    expect(format, JSON.stringify(report.findings)).toMatchObject({
      address: 'module.kms.module.db.aws_db_instance.db',
      line: 9,
    });
    expect(format?.file).toMatch(/modules[/\\]db[/\\]main\.tf$/);
    // The remote call keeps its note; the local ones have none.
    const notes = report.notes.filter((n) => n.summary === 'A module call is not followed');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.line).toBe(8);
  }, 120_000);

  it('with the rotation the call asks for, the module key is clean', () => {
    const dir = tempDir({
      'main.tf': 'module "kms" {\n  source = "./modules/kms"\n}\n',
      'modules/kms/main.tf': KMS_MODULE,
      'modules/db/main.tf': DB_MODULE,
    });
    const r = cmek(dir, ['policy', 'check', '--format', 'json', '.']);
    const report = JSON.parse(r.stdout) as { findings: Array<{ code: string; address: string }> };
    expect(report.findings.filter((f) => f.address === 'module.kms.aws_kms_key.this')).toEqual([]);
  }, 120_000);

  it('a key made in one module and used by a database in another is checked across them', () => {
    const dir = tempDir({
      'main.tf': [
        'provider "aws" {',
        '  region = "eu-west-1"',
        '}',
        '',
        'provider "aws" {',
        '  alias  = "us"',
        '  region = "us-east-1"',
        '}',
        '',
        'module "key" {',
        '  source = "./modules/key"',
        '}',
        '',
        'module "db" {',
        '  source = "./modules/db"',
        '  key    = module.key.arn',
        '}',
        '',
      ].join('\n'),
      'modules/key/main.tf': [
        'resource "aws_kms_key" "this" {',
        '  enable_key_rotation = true',
        '}',
        '',
        'output "arn" {',
        '  value = aws_kms_key.this.arn',
        '}',
        '',
      ].join('\n'),
      'modules/db/main.tf': [
        'variable "key" {',
        '  type = string',
        '}',
        '',
        'resource "aws_db_instance" "db" {',
        '  provider          = aws.us',
        '  engine            = "postgres"',
        '  storage_encrypted = true',
        '  kms_key_id        = var.key',
        '}',
        '',
      ].join('\n'),
    });
    const r = cmek(dir, ['policy', 'check', '.']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'Error: CMEK_REGION_MISMATCH: module.db.aws_db_instance.db is in region us-east-1 but its key module.key.aws_kms_key.this (not created yet) is in eu-west-1',
    );
    expect(r.stdout).toMatch(
      /on modules[/\\]db[/\\]main\.tf:9:\d+ module\.db\.aws_db_instance\.db \(kms_key_id\)/,
    );
  }, 120_000);
});
