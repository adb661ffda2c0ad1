// terraform's built-in functions through the real binary: `cmek plan` evaluates a configuration
// that reads a file, splits, formats and computes subnets, and a failing call is a
// CONFIG_FUNCTION error at the call's file:line, without a stack trace.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from './harness.js';

const CONFIG = `
locals {
  teams  = compact(split("\\n", file("teams.txt")))
  subnet = cidrsubnet("10.0.0.0/16", 8, length(local.teams))
}

resource "cmek_kms_key" "k" {
  region      = "eu-west-1"
  description = format("%s in %s", join("+", sort(local.teams)), local.subnet)
  alias       = "alias/\${lower(replace(local.teams[0], "/[^a-z]+/", "-"))}"
}

output "digest" {
  value = substr(sha256(jsonencode(local.teams)), 0, 12)
}
`;

let dir: string;
let bad: string;
beforeAll(() => {
  cliBin();
  dir = tempDir({ 'main.tf': CONFIG, 'teams.txt': 'orders\nbilling\n\n' });
  bad = tempDir({
    'main.tf':
      'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n  description = cidrhost("10.0.0.0/30", 9)\n}\n',
  });
}, 300_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bad, { recursive: true, force: true });
});

describe('built-in functions through cmek plan', () => {
  it('evaluates the functions in locals, attributes and outputs', () => {
    const r = cmek(dir, ['plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/description\s+= "billing\+orders in 10\.0\.2\.0\/24"/);
    expect(r.stdout).toMatch(/alias\s+= "alias\/orders"/);
    expect(r.stdout).toMatch(/digest\s+= "[0-9a-f]{12}"/);
  }, 120_000);

  it('a failing call is CONFIG_FUNCTION at file:line, with no stack trace', () => {
    const r = cmek(bad, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: CONFIG_FUNCTION: Error in function call/);
    expect(r.stderr).toMatch(/main\.tf:3/);
    expect(r.stderr).toMatch(/does not accommodate a host numbered 9/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
