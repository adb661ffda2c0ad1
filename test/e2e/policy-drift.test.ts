// Drift of a key policy is drift of a security control: in examples/quickstart (key_id is a bare
// key id, so the plan cannot derive the account from it), a policy opened to everyone outside
// cmek must show as drift and as an update, and apply must restore the generated policy.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { cliBin, cmek, copyExample } from './harness.js';

let dir: string;
beforeAll(() => {
  cliBin();
  dir = copyExample('quickstart');
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPEN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'open', Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
});

describe('key policy drift in the quickstart', () => {
  it('a policy opened to "*" outside cmek plans as drift and an update; apply restores it', async () => {
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);

    // Outside cmek: straight through the local KMS's API.
    const kms = openLocalKms({ dir: join(dir, '.cmek', 'kms') }).admin();
    const [key] = await kms.listKeys();
    await kms.putKeyPolicy(key!.arn, OPEN);

    const p = cmek(dir, ['plan', '-detailed-exitcode']);
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toMatch(/cmek_kms_key_policy\.orders has changed/);
    expect(p.stdout).toMatch(/# cmek_kms_key_policy\.orders will be updated in-place/);
    expect(p.stdout).toMatch(
      /~ policy_json = .*\\"Principal\\":\\"\*\\".* -> \(known after apply\)/,
    );
    expect(p.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);

    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const restored = JSON.parse(await kms.getKeyPolicy(key!.arn)) as {
      Statement: Array<{ Principal: unknown }>;
    };
    expect(restored.Statement.map((s) => s.Principal)).not.toContain('*');
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(0);
  });
});
