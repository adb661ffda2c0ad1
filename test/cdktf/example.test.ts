// End to end through the real paths: examples/cdktf/main.ts runs as a user's cdktf app in its
// own node process, importing `cmek/cdktf` by package name (the package the e2e harness built
// from these sources) and calling `app.synth()`; then the real `cmek` CLI plans and applies
// cdktf.out/stacks/orders, and the service it created stores and returns data.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmek, keyMaterialLike } from '../e2e/harness.js';
import { synthExampleApp, type ExampleApp } from './example-app.js';

let example: ExampleApp;
let app: string;
let stackDir: string;

beforeAll(() => {
  example = synthExampleApp();
  app = example.dir;
  stackDir = example.stackDir;
}, 300_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('examples/cdktf', () => {
  it('synthesizes with app.synth() through the cmek/cdktf package entry', () => {
    const r = example.synth;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
      terraform: { required_providers: Record<string, { source: string }> };
    };
    expect(tf.terraform.required_providers.cmek!.source).toBe('registry.terraform.io/cmek/cmek');
    expect(tf.resource.cmek_encrypted_service!.orders_db!.kms_key).toBe(
      '${cmek_kms_key.orders.arn}',
    );
    expect(tf.resource.cmek_replica!.orders_ro!.primary_id).toBe(
      '${cmek_encrypted_service.orders_db.id}',
    );
  }, 180_000);

  it('cmek plan and apply the stack; the service runs and stores data', () => {
    expect(existsSync(join(stackDir, 'cdk.tf.json'))).toBe(true);
    const plan = cmek(stackDir, ['plan', '-no-color', '-detailed-exitcode']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2); // changes to make
    expect(plan.stdout).toContain('cmek_encrypted_service.orders_db will be created');
    expect(plan.stdout).toContain('4 to add');

    const apply = cmek(stackDir, ['apply', '-auto-approve', '-no-color']);
    // The first use of the local KMS says where its root key is (and nothing else).
    expect(apply.stderr).toMatch(/^(cmek: created the local KMS root key [^\n]*\n)?$/);
    expect(apply.code, apply.stdout).toBe(0);

    const out = cmek(stackDir, ['output', '-json']);
    expect(out.code).toBe(0);
    const outputs = JSON.parse(out.stdout) as Record<string, { value: string }>;
    expect(outputs.service_status!.value).toBe('RUNNING');
    expect(outputs.key_arn!.value).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);

    const body = 'order 42: 3 widgets\n';
    expect(cmek(stackDir, ['data', 'put', 'orders', 'o/42', '-'], { input: body }).code).toBe(0);
    const got = cmek(stackDir, ['data', 'get', 'orders', 'o/42']);
    expect(got.code).toBe(0);
    expect(got.stdout).toBe(body);
    // The replica serves the same data, under the primary's key.
    const ro = cmek(stackDir, ['data', 'get', 'orders-ro', 'o/42']);
    expect(ro.code).toBe(0);
    expect(ro.stdout).toBe(body);

    // Nothing left to do, and no key material in the state.
    expect(cmek(stackDir, ['plan', '-detailed-exitcode']).code).toBe(0);
    const state = readFileSync(join(app, 'terraform.orders.tfstate'), 'utf8');
    expect(keyMaterialLike(state)).toEqual([]);
  }, 300_000);
});
