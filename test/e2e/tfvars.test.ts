// A typo in a variable file through the real binary: Terraform's "Value for undeclared variable"
// warning at file:line for terraform.tfvars, *.auto.tfvars and -var-file (the value is ignored
// and the default used), and an error for -var on the command line.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

const CONFIG = `
variable "region" {
  default = "eu-west-1"
}

resource "cmek_kms_key" "k" {
  region = var.region
}
`;

let dir: string;
beforeAll(() => {
  cliBin();
  dir = tempDir({
    'main.tf': CONFIG,
    'terraform.tfvars': '# typo below\nregoin = "us-east-1"\n',
    'prod.tfvars': 'region = "us-west-2"\nzone = "a"\n',
    'x.auto.tfvars.json': '{\n  "regio": "ap-south-1"\n}\n',
  });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('undeclared variables in variable files', () => {
  it('plan warns with file:line and a suggestion; the default is used', () => {
    const r = cmek(dir, ['plan']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(
      /Warning: CONFIG_REFERENCE: Value for undeclared variable "regoin"\n\s+on terraform\.tfvars:2\n.*Did you mean "region"\?/,
    );
    expect(out).toMatch(/Value for undeclared variable "regio"\n\s+on x\.auto\.tfvars\.json:2/);
    expect(r.stdout).toMatch(/region\s+= "eu-west-1"/);
  });

  it('-var-file files warn too, and their declared values apply', () => {
    const r = cmek(dir, ['plan', '-var-file', 'prod.tfvars']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /Value for undeclared variable "zone"\n\s+on prod\.tfvars:2/,
    );
    expect(r.stdout).toMatch(/region\s+= "us-west-2"/);
  });

  it('-var for an undeclared variable is an error', () => {
    const r = cmek(dir, ['plan', '-var', 'regoin=us-east-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: CONFIG_REFERENCE: Value for undeclared variable "regoin"/);
  });
});
