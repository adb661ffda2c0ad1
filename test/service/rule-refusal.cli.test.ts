// A CMEK rule the plan cannot see is still enforced by the control plane, through the REAL
// binary, with the rule's code, text and the resource's address. The state is edited so that
// the plan believes the service already has a customer key (a key-to-key rotation, which the
// plan-time rules allow); the service was created without one, so the control plane refuses
// with CMEK_NO_RETROFIT (src/service/rule-error.ts) and the service keeps its key.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noRetrofitMessage } from '../../src/rules/index.js';
import { cmek, tempDir } from '../e2e/harness.js';

const config = (kmsKey: string) => `
resource "cmek_kms_key" "a" {
  region = "eu-west-1"
}
resource "cmek_kms_key" "b" {
  region = "eu-west-1"
}
resource "cmek_encrypted_service" "db" {
  name   = "db"
  region = "eu-west-1"
${kmsKey}}
`;

interface State {
  resources: Array<{ name: string; instances: Array<{ attributes: Record<string, unknown> }> }>;
}

describe('service-side CMEK rule refusal', () => {
  it('CMEK_NO_RETROFIT from the control plane carries the code, address and rule text', () => {
    const dir = tempDir({ 'main.tf': config('') });
    const first = cmek(dir, ['apply', '-auto-approve']);
    expect(first.code, first.stderr).toBe(0);

    const statePath = join(dir, 'terraform.tfstate');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    const attrs = (name: string) => state.resources.find((r) => r.name === name)!.instances[0]!;
    const a = attrs('a').attributes.arn as string;
    const b = attrs('b').attributes.arn as string;
    Object.assign(attrs('db').attributes, { kms_key: a, encrypted: true });
    writeFileSync(statePath, JSON.stringify(state));
    writeFileSync(join(dir, 'main.tf'), config('  kms_key = cmek_kms_key.b.arn\n'));

    // The plan sees a rotation from a to b: no plan-time diagnostic.
    const plan = cmek(dir, ['plan', '-refresh=false']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('1 to change');

    const r = cmek(dir, ['apply', '-auto-approve', '-refresh=false']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const { summary } = noRetrofitMessage({ subject: 'service db', key: b });
    expect(r.stderr).toContain(`Error: CMEK_NO_RETROFIT: ${summary}`);
    expect(r.stderr).toContain('on cmek_encrypted_service.db (kms_key)');
    expect(r.stderr).toContain('Remedy: take a backup of the service (cmek_backup)');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // Nothing changed: the service is still on its provider-managed key.
    const described = cmek(dir, ['service', 'describe', 'db', '--json']);
    expect(described.code, described.stderr).toBe(0);
    expect(JSON.parse(described.stdout)).toMatchObject({ kmsKey: null, keyOwner: 'managed' });
  });
});
