// Messages a new user meets when something is off: each through the real binary, each with a
// stable code and a remedy, none with a stack trace or raw bytes (docs/cli/errors.md,
// docs/state.md).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, copyExample } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000);

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('state files cmek cannot use', () => {
  const dir = copyExample('quickstart');
  const state = join(dir, 'terraform.tfstate');
  const valid = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      version: 4,
      terraform_version: '0.1.0',
      serial: 1,
      lineage: '6f1d9c1e-0000-4000-8000-000000000000',
      outputs: {},
      resources: [],
      check_results: null,
      ...extra,
    });

  it('garbage: STATE_CORRUPT quoting a short escaped prefix, never the raw bytes', () => {
    const garbage = `\u001b[31mPWNED\u0007${'x'.repeat(500)}SECRET-TAIL`;
    writeFileSync(state, garbage);
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('STATE_CORRUPT');
    expect(r.stderr).toContain('\\u001b[31mPWNED\\u0007');
    expect(r.stderr).not.toContain('\u001b[31mPWNED');
    expect(r.stderr).not.toContain('SECRET-TAIL');
    expect(readFileSync(state, 'utf8')).toBe(garbage);
    noStack(r.stderr);
  });

  it('format version 5: STATE_TOO_NEW, not corrupt', () => {
    writeFileSync(state, valid({ version: 5 }));
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('STATE_TOO_NEW: State file');
    expect(r.stderr).toContain('state format version 5');
    expect(r.stderr).toContain('newer version of cmek or terraform');
    expect(r.stderr).not.toContain('STATE_CORRUPT');
  });

  it('terraform_version newer than this cmek: refused as terraform does', () => {
    writeFileSync(state, valid({ terraform_version: '9.9.9' }));
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /STATE_TOO_NEW: State snapshot was created by v9\.9\.9, which is newer than current v\d+\.\d+\.\d+/,
    );
    expect(r.stderr).toContain('Upgrade cmek');
    // A newer cmek (0.x) is refused too; a state terraform 1.x wrote (same format) is read.
    writeFileSync(state, valid({ terraform_version: '0.99.0' }));
    expect(cmek(dir, ['plan']).stderr).toContain('STATE_TOO_NEW');
    writeFileSync(state, valid({ terraform_version: '1.11.4' }));
    const tf = cmek(dir, ['plan']);
    expect(tf.stderr).not.toContain('STATE_TOO_NEW');
    expect(tf.code, tf.stderr).toBe(0);
  });

  it('an instance schema_version newer than its type: refused', () => {
    writeFileSync(
      state,
      valid({
        resources: [
          {
            mode: 'managed',
            type: 'cmek_kms_key',
            name: 'orders',
            provider: 'provider["registry.terraform.io/cmek/cmek"]',
            instances: [{ schema_version: 7, attributes: {}, sensitive_attributes: [] }],
          },
        ],
      }),
    );
    const r = cmek(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('STATE_TOO_NEW: Resource cmek_kms_key.orders');
    expect(r.stderr).toContain('schema version 7');
  });
});

describe('an applied quickstart', () => {
  const dir = copyExample('quickstart');
  beforeAll(() => {
    const ap = cmek(dir, ['apply', '-auto-approve']);
    expect(ap.code, ap.stderr).toBe(0);
  }, 300_000);

  it('apply -var with a saved plan is refused', () => {
    const p = cmek(dir, ['plan', '-out=tfplan']);
    expect(p.code, p.stderr).toBe(0);
    const r = cmek(dir, ['apply', '-var', 'region=eu-west-1', 'tfplan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("USAGE: Can't set variables when applying a saved plan");
    const f = cmek(dir, ['apply', '-var-file=x.tfvars', 'tfplan']);
    expect(f.stderr).toContain("USAGE: Can't set variables when applying a saved plan");
    // So are the flags that decide what a plan plans: the saved plan already decided.
    const t = cmek(dir, ['apply', '-target=cmek_kms_key.orders', 'tfplan']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("USAGE: Can't use -target when applying a saved plan");
    const both = cmek(dir, ['apply', '-refresh-only', '-replace=x.y', 'tfplan']);
    expect(both.stderr).toContain("Can't use -replace, -refresh-only when applying a saved plan");
  });

  it('data put of a missing file or a directory names it; nothing is written', () => {
    for (const [file, why] of [
      [join(dir, 'nope.bin'), 'it does not exist'],
      [dir, 'it is a directory'],
    ] as const) {
      const r = cmek(dir, ['data', 'put', 'orders', 'x', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`IO_ERROR: Cannot`);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain(why);
      noStack(r.stderr);
    }
    expect(cmek(dir, ['data', 'ls', 'orders']).stdout).not.toContain(' x\n');
  });

  it('data get | head: quiet, exit 141 like cat', () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(8 << 20, 7));
    expect(cmek(dir, ['data', 'put', 'orders', 'big', big]).code).toBe(0);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${cliBin()}" data get orders big | head -c 10 >/dev/null; ` +
          'echo "status=${PIPESTATUS[0]}"',
      ],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.stdout.trim()).toBe('status=141');
    expect(r.stderr).toBe('');
  }, 60_000);

  it('Ctrl-C during data put from stdin: exit 130, nothing written, no temp file', async () => {
    const p = spawn(process.execPath, [cliBin(), 'data', 'put', 'orders', 'partial', '-'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // The child stops reading when interrupted: our end of its stdin may then see EPIPE.
    p.stdin.on('error', () => undefined);
    p.stdin.write(Buffer.alloc(1 << 20, 1));
    // Wait until the object store is writing (its temp file exists), then interrupt.
    const svcDir = () =>
      readdirSync(join(dir, '.cmek'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.tmp'));
    for (let i = 0; i < 200 && svcDir().length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(svcDir().length).toBeGreaterThan(0);
    p.kill('SIGINT');
    const code = await new Promise<number | null>((r) => p.on('close', r));
    expect(code).toBe(130);
    expect(err.trim()).toBe(
      'Interrupted: nothing was written; orders/partial is as it was before.',
    );
    expect(svcDir()).toEqual([]);
    expect(cmek(dir, ['data', 'ls', 'orders']).stdout).not.toContain('partial');
  }, 60_000);

  it('a keystore under another root key: KMS_ERROR whose remedy is the original root key', () => {
    const other = Buffer.alloc(32, 9).toString('base64');
    const r = cmek(dir, ['kms', 'ls'], { env: { CMEK_KMS_ROOT_KEY: other } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('KMS_ERROR: KMSInternalException');
    expect(r.stderr).toContain('Put the original root key back');
    expect(r.stderr).not.toMatch(/Retry/);
    noStack(r.stderr);
  });

  it('a corrupt control-plane record: coded, named, and service ls lists the rest', () => {
    const services = join(dir, '.cmek', 'services');
    const rec = readdirSync(services).find((f) => /^svc-[0-9a-f]{16}\.json$/.test(f))!;
    const broken = join(services, 'svc-0123456789abcdef.json');
    copyFileSync(join(services, rec), broken);
    writeFileSync(broken, '{"id": "svc-0123456789abcdef", "na');
    const ls = cmek(dir, ['service', 'ls']);
    expect(ls.code).toBe(1);
    expect(ls.stdout).toContain('orders');
    expect(ls.stderr).toContain(`CONTROL_PLANE_CORRUPT: Control-plane record ${broken}`);
    noStack(ls.stderr);
    // The record of a managed service: plan reports it instead of "No changes".
    const good = readFileSync(join(services, rec), 'utf8');
    writeFileSync(join(services, rec), 'not json');
    const plan = cmek(dir, ['plan']);
    expect(plan.stdout + plan.stderr).toContain('CONTROL_PLANE_CORRUPT');
    expect(plan.stdout).not.toContain('No changes');
    writeFileSync(join(services, rec), good);
  });
});
