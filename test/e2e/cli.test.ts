// End-to-end: the real CLI over the real resources, local KMS and control plane, in temp
// working directories. One test per user journey; every diagnostic the engine produces is
// triggered through the binary at least once.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample, keyMaterialLike, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000); // the first file to run builds the CLI and its bundles (test/e2e/harness.ts)

const codes = (text: string) =>
  [...text.matchAll(/\b(?:Error|Warning): ([A-Z_]+):/g)].map((m) => m[1]);

describe('quickstart round trip (the README journey)', () => {
  it('plan -json, apply, no-change plan, output, state, show, destroy', () => {
    const dir = copyExample('quickstart');
    // The README's spelling: run from elsewhere with -chdir.
    const pj = cmek(tmpdir(), [`-chdir=${dir}`, 'plan', '-json']);
    expect(pj.code, pj.stderr).toBe(0);
    const doc = JSON.parse(pj.stdout);
    expect(doc.format_version).toBe('1.2');
    expect(doc.errored).toBe(false);
    expect(
      doc.resource_changes.map((c: { address: string; change: { actions: string[] } }) => [
        c.address,
        c.change.actions,
      ]),
    ).toEqual([
      ['cmek_kms_key.orders', ['create']],
      ['cmek_kms_key_policy.orders', ['create']],
      ['cmek_encrypted_service.orders', ['create']],
    ]);
    const svc = doc.resource_changes[2];
    expect(svc).toMatchObject({
      mode: 'managed',
      type: 'cmek_encrypted_service',
      name: 'orders',
      provider_name: 'registry.terraform.io/cmek/cmek',
    });
    expect(svc.change.after_unknown).toMatchObject({ id: true, kms_key: true });
    expect(doc.configuration.root_module.resources[2].expressions.kms_key.references).toEqual([
      'cmek_kms_key.orders.arn',
      'cmek_kms_key.orders',
    ]);

    const saved = cmek(dir, ['plan', '-out=tfplan']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain('Plan: 3 to add, 0 to change, 0 to destroy.');
    expect(saved.stdout).toContain('+ kms_key            = (known after apply)');
    const planText = readFileSync(join(dir, 'tfplan'), 'utf8');
    expect(keyMaterialLike(planText)).toEqual([]);

    const ap = cmek(dir, ['apply', '-auto-approve', '-parallelism=2']);
    expect(ap.code, ap.stderr).toBe(0);
    expect(ap.stdout).toMatch(
      /cmek_kms_key\.orders: Creating\.\.\.\ncmek_kms_key\.orders: Creation complete after \d+s \[id=[0-9a-f-]{36}\]/,
    );
    expect(ap.stdout).toContain('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
    expect(ap.stdout).toMatch(/service_status = "RUNNING"/);

    const again = cmek(dir, ['plan', '-detailed-exitcode']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes. Your infrastructure matches the configuration.');

    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(state).toMatchObject({ version: 4, check_results: null });
    expect(typeof state.serial).toBe('number');
    expect(state.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(keyMaterialLike(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'))).toEqual([]);

    expect(cmek(dir, ['output', '-raw', 'service_status']).stdout).toBe('RUNNING');
    expect(JSON.parse(cmek(dir, ['output', '-json']).stdout).key_arn.value).toMatch(
      /^arn:aws:kms:eu-west-1:000000000000:key\//,
    );
    expect(cmek(dir, ['state', 'list']).stdout.trim().split('\n').sort()).toEqual([
      'cmek_encrypted_service.orders',
      'cmek_kms_key.orders',
      'cmek_kms_key_policy.orders',
    ]);
    expect(cmek(dir, ['state', 'show', 'cmek_encrypted_service.orders']).stdout).toContain(
      'status             = "RUNNING"',
    );
    const show = JSON.parse(cmek(dir, ['show', '-json']).stdout);
    expect(show.values.root_module.resources).toHaveLength(3);

    // The saved plan is stale now.
    const stale = cmek(dir, ['apply', 'tfplan']);
    expect(stale.code).toBe(1);
    expect(codes(stale.stderr)).toEqual(['STATE_STALE_PLAN']);

    const destroy = cmek(dir, ['destroy', '-auto-approve']);
    // The backup (the state before destroy) holds every resource: scan it too.
    expect(keyMaterialLike(readFileSync(join(dir, 'terraform.tfstate.backup'), 'utf8'))).toEqual(
      [],
    );
    expect(destroy.code, destroy.stderr).toBe(0);
    expect(destroy.stdout).toContain('Destroy complete! Resources: 3 destroyed.');
    expect(cmek(dir, ['plan', '-detailed-exitcode']).code).toBe(2);
  });

  it('apply PLANFILE applies exactly the saved plan; show PLANFILE prints it', () => {
    const dir = copyExample('quickstart');
    expect(cmek(dir, ['plan', '-out=tfplan']).code).toBe(0);
    expect(cmek(dir, ['show', 'tfplan']).stdout).toContain(
      '# cmek_encrypted_service.orders will be created',
    );
    expect(JSON.parse(cmek(dir, ['show', '-json', 'tfplan']).stdout).resource_changes).toHaveLength(
      3,
    );
    const ap = cmek(dir, ['apply', 'tfplan']);
    expect(ap.code, ap.stderr).toBe(0);
    expect(ap.stdout).toContain('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
  });
});

describe('plan modes: -target, -replace, -refresh-only, -lock=false', () => {
  it('targets a resource and its dependencies, replaces on request, records drift only, skips the lock', () => {
    const dir = copyExample('quickstart');
    const t = cmek(dir, ['plan', '-json', '-target=cmek_kms_key_policy.orders']);
    expect(t.code, t.stderr).toBe(0);
    const doc = JSON.parse(t.stdout);
    expect(doc.resource_changes.map((c: { address: string }) => c.address).sort()).toEqual([
      'cmek_kms_key.orders',
      'cmek_kms_key_policy.orders',
    ]);
    expect(doc.diagnostics.map((d: { summary: string }) => d.summary)).toContain(
      'Resource targeting is in effect',
    );
    const bad = cmek(dir, ['plan', '-target=not-an-address']);
    expect(bad.code).toBe(1);
    expect(codes(bad.stderr)).toEqual(['USAGE']);

    // A held lock: -lock=false goes ahead (plan, apply, refresh).
    writeFileSync(
      join(dir, '.terraform.tfstate.lock.info'),
      JSON.stringify({
        ID: 'held',
        Operation: 'OperationTypeApply',
        Who: 'ci@elsewhere',
        Created: new Date().toISOString(),
        Path: 'terraform.tfstate',
      }),
    );
    expect(codes(cmek(dir, ['apply', '-auto-approve']).stderr)).toEqual(['STATE_LOCKED']);
    const ap = cmek(dir, ['apply', '-auto-approve', '-lock=false']);
    expect(ap.code, ap.stderr).toBe(0);
    expect(ap.stdout).toContain('Apply complete! Resources: 3 added');
    expect(cmek(dir, ['refresh', '-lock=false']).code).toBe(0);

    const missing = cmek(dir, ['plan', '-lock=false', '-replace=cmek_kms_key.gone']);
    expect(missing.code).toBe(1);
    expect(codes(missing.stderr)).toEqual(['USAGE']);
    expect(missing.stderr).toContain('-replace=cmek_kms_key.gone: no such resource instance');
    const before = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const idOf = (st: {
      resources: Array<{ type: string; instances: Array<{ attributes: { id: string } }> }>;
    }) =>
      st.resources.find((r) => r.type === 'cmek_encrypted_service')!.instances[0]!.attributes.id;
    const rp = cmek(dir, [
      'apply',
      '-auto-approve',
      '-lock=false',
      '-replace=cmek_encrypted_service.orders',
    ]);
    expect(rp.code, rp.stderr).toBe(0);
    expect(rp.stdout).toContain('(replacement requested with -replace)');
    expect(rp.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');
    const after = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    expect(idOf(after)).not.toBe(idOf(before));

    expect(cmek(dir, ['kms', 'disable', 'alias/quickstart-orders']).code).toBe(0);
    const ro = cmek(dir, ['plan', '-lock=false', '-refresh-only', '-detailed-exitcode']);
    expect(ro.stdout).toContain('# cmek_kms_key.orders has changed');
    expect(ro.stdout).toContain('This is a refresh-only plan');
    expect(ro.stdout).not.toContain('will be updated in-place');
    const ra = cmek(dir, ['apply', '-lock=false', '-refresh-only', '-auto-approve']);
    expect(ra.code, ra.stderr).toBe(0);
    const recorded = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8'));
    const key = recorded.resources.find((r: { type: string }) => r.type === 'cmek_kms_key');
    expect(key.instances[0].attributes.key_state).toBe('Disabled');
  }, 300_000);
});

describe('diagnostics through the CLI', () => {
  it('CMEK_REGION_MISMATCH: plan -json prints the document with errored=true and exits 1', () => {
    const dir = tempDir({
      'main.tf':
        'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\nresource "cmek_encrypted_service" "db" {\n  name    = "db"\n  region  = "us-east-1"\n  kms_key = cmek_kms_key.k.arn\n}\n',
    });
    const r = cmek(dir, ['plan', '-json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.errored).toBe(true);
    expect(doc.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'CMEK_REGION_MISMATCH',
        address: 'cmek_encrypted_service.db',
        file: 'main.tf',
        line: 7,
      }),
    );
    const text = cmek(dir, ['plan']);
    expect(text.code).toBe(1);
    expect(codes(text.stderr)).toEqual(['CMEK_REGION_MISMATCH']);
    expect(cmek(dir, ['validate']).code).toBe(1);
  });

  it('CMEK_NO_RETROFIT: adding a key to an existing unencrypted service', () => {
    const svc = (key: string) =>
      `resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\nresource "cmek_encrypted_service" "db" {\n  name   = "db"\n  region = "eu-west-1"\n${key}}\n`;
    const dir = tempDir({ 'main.tf': svc('') });
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    writeFileSync(join(dir, 'main.tf'), svc('  kms_key = cmek_kms_key.k.arn\n'));
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(codes(r.stderr)).toContain('CMEK_NO_RETROFIT');
  });

  it('CMEK_KEY_IN_USE: destroying a key used by a service of another configuration (same data dir)', () => {
    const shared = tempDir();
    const provider = `provider "cmek" {\n  data_dir = "${shared}"\n}\n`;
    const a = tempDir({
      'main.tf': `${provider}resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\noutput "arn" {\n  value = cmek_kms_key.k.arn\n}\n`,
    });
    expect(cmek(a, ['apply', '-auto-approve']).code).toBe(0);
    const arn = cmek(a, ['output', '-raw', 'arn']).stdout;
    const b = tempDir({
      'main.tf': `${provider}resource "cmek_encrypted_service" "db" {\n  name    = "db"\n  region  = "eu-west-1"\n  kms_key = "${arn}"\n}\n`,
    });
    expect(cmek(b, ['apply', '-auto-approve']).code).toBe(0);
    const d = cmek(a, ['destroy', '-auto-approve']);
    expect(d.code).toBe(1);
    expect(codes(d.stderr)).toEqual(['CMEK_KEY_IN_USE']);
    expect(d.stderr).toContain('service db');
    // Once the other configuration is gone, the key may go.
    expect(cmek(b, ['destroy', '-auto-approve']).code).toBe(0);
    expect(cmek(a, ['destroy', '-auto-approve']).code).toBe(0);
  });

  it('CONFIG_CYCLE, CONFIG_SCHEMA and CONFIG_UNSUPPORTED with file:line', () => {
    const dir = tempDir({
      'main.tf': `resource "cmek_kms_key" "a" {\n  region      = "eu-west-1"\n  description = cmek_kms_key.b.arn\n}\nresource "cmek_kms_key" "b" {\n  region      = "eu-west-1"\n  description = cmek_kms_key.a.arn\n}\n`,
    });
    const cyc = cmek(dir, ['validate']);
    expect(cyc.code).toBe(1);
    expect(codes(cyc.stderr)).toEqual(['CONFIG_CYCLE']);
    expect(cyc.stderr).toContain('cmek_kms_key.a (main.tf:1)');

    writeFileSync(
      join(dir, 'main.tf'),
      'resource "cmek_kms_key" "a" {\n  region = "eu-west-1"\n  deletion_window_in_days = 3\n}\n',
    );
    const schema = cmek(dir, ['plan', '-json']);
    expect(schema.code).toBe(1);
    expect(JSON.parse(schema.stdout).diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'CONFIG_SCHEMA',
        attribute: 'deletion_window_in_days',
        file: 'main.tf',
        line: 3,
      }),
    );

    writeFileSync(
      join(dir, 'main.tf'),
      'resource "cmek_kms_key" "a" {\n  region = "eu-west-1"\n  depends_on = [cmek_kms_key.nope]\n}\n',
    );
    const ref = cmek(dir, ['plan']);
    expect(ref.code).toBe(1);
    expect(codes(ref.stderr)).toContain('CONFIG_REFERENCE');

    // count must be known at plan time.
    writeFileSync(
      join(dir, 'main.tf'),
      'resource "cmek_kms_key" "a" {\n  region = "eu-west-1"\n}\nresource "cmek_kms_key" "b" {\n  count  = cmek_kms_key.a.primary_version\n  region = "eu-west-1"\n}\n',
    );
    const count = cmek(dir, ['plan', '-json']);
    expect(count.code).toBe(1);
    expect(JSON.parse(count.stdout).diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'CONFIG_UNSUPPORTED',
        summary: 'Invalid count argument',
        attribute: 'count',
        line: 5,
      }),
    );

    writeFileSync(join(dir, 'main.tf'), 'resource "cmek_database" "a" {\n  name = "x"\n}\n');
    const unsupported = cmek(dir, ['plan']);
    expect(unsupported.code).toBe(1);
    expect(codes(unsupported.stderr)).toEqual(['CONFIG_UNSUPPORTED']);
    expect(unsupported.stderr).toContain('main.tf:1');
  });

  it('STATE_LOCKED names the holder and the force-unlock remedy; force-unlock removes it', () => {
    const dir = copyExample('quickstart');
    const info = {
      ID: '11111111-2222-3333-4444-555555555555',
      Operation: 'OperationTypeApply',
      Info: '',
      Who: 'alice@ci',
      Version: '0.1.0',
      Created: new Date().toISOString(),
      Path: 'terraform.tfstate',
      Pid: 999999,
      Host: 'elsewhere',
    };
    writeFileSync(join(dir, '.terraform.tfstate.lock.info'), JSON.stringify(info));
    const r = cmek(dir, ['apply', '-auto-approve']);
    expect(r.code).toBe(1);
    expect(codes(r.stderr)).toEqual(['STATE_LOCKED']);
    expect(r.stderr).toContain('alice@ci');
    expect(r.stderr).toContain(`cmek force-unlock ${info.ID}`);
    expect(cmek(dir, ['force-unlock', 'wrong-id', '-force']).code).toBe(1);
    const ok = cmek(dir, ['force-unlock', info.ID, '-force']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(dir)).not.toContain('.terraform.tfstate.lock.info');
  });

  it('a lock left by a dead process on this host gets a crash hint, and is not stolen', () => {
    const dir = copyExample('quickstart');
    const info = {
      ID: 'dead-lock',
      Operation: 'OperationTypeApply',
      Info: '',
      Who: 'me@here',
      Version: '0.1.0',
      Created: new Date().toISOString(),
      Path: 'terraform.tfstate',
      Pid: 2 ** 22 + 12345,
      Host: hostname(),
    };
    writeFileSync(join(dir, '.terraform.tfstate.lock.info'), JSON.stringify(info));
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is no longer running');
    expect(readdirSync(dir)).toContain('.terraform.tfstate.lock.info');
  });

  it('STATE_CORRUPT leaves the file untouched; PREVENT_DESTROY blocks destroy', () => {
    const dir = tempDir({
      'main.tf':
        'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n',
    });
    expect(cmek(dir, ['apply', '-auto-approve']).code).toBe(0);
    const d = cmek(dir, ['destroy', '-auto-approve']);
    expect(d.code).toBe(1);
    expect(codes(d.stderr)).toEqual(['PREVENT_DESTROY']);
    writeFileSync(join(dir, 'terraform.tfstate'), '{ not json');
    const c = cmek(dir, ['plan']);
    expect(c.code).toBe(1);
    expect(codes(c.stderr)).toEqual(['STATE_CORRUPT']);
    expect(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).toBe('{ not json');
  });

  it('APPLY_FAILED when the real call fails; what succeeded stays in state', () => {
    const dir = tempDir({
      'main.tf':
        'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\n' +
        'resource "cmek_kms_key_policy" "p" {\n  key_id            = "arn:aws:kms:eu-west-1:000000000000:key/00000000-0000-4000-8000-000000000000"\n  service_principal = "arn:aws:iam::000000000000:role/cmek-service"\n}\n',
    });
    const r = cmek(dir, ['apply', '-auto-approve', '-refresh=false']);
    expect(r.code).toBe(1);
    expect(codes(r.stderr)).toEqual(['APPLY_FAILED']);
    expect(r.stderr).toContain('cmek_kms_key_policy.p');
    expect(cmek(dir, ['state', 'list']).stdout.trim()).toBe('cmek_kms_key.k');
  });

  it('apply without -auto-approve and without a terminal tells to pass -auto-approve', () => {
    const dir = copyExample('quickstart');
    const r = cmek(dir, ['apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-auto-approve');
    expect(readdirSync(dir)).not.toContain('terraform.tfstate');
  });
});

// The prompt needs a terminal: `script` (util-linux) gives the CLI a pseudo-terminal and types
// our answer into it.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript)
  console.warn(
    'SKIPPED: the interactive approval test needs `script` (util-linux) for a pseudo-terminal',
  );

describe('interactive approval', () => {
  it.skipIf(!hasScript)(
    'apply asks "Enter a value:" on a terminal; "yes" applies, anything else cancels',
    () => {
      const dir = copyExample('quickstart');
      const run = (answer: string) =>
        spawnSync('script', ['-qec', `"${process.execPath}" "${cliBin()}" apply`, '/dev/null'], {
          cwd: dir,
          input: `${answer}\n`,
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
          timeout: 60_000,
        });
      const no = run('no');
      expect(no.stdout).toContain('Enter a value:');
      expect(no.stdout).toContain('Apply cancelled.');
      expect(no.status).toBe(1);
      expect(readdirSync(dir)).not.toContain('terraform.tfstate');
      const yes = run('yes');
      expect(yes.stdout).toContain('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
      expect(yes.status).toBe(0);
    },
  );
});
