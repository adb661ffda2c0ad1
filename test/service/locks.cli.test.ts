// Locks that outlive their cause, through the real binary: an empty lock file (what ENOSPC
// leaves), an unreadable state lock, a lock held by another host, and the temp files of killed
// puts. Every lock is either provably live or removed — by the next taker or by force-unlock.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmek, tempDir } from '../e2e/harness.js';

const CONFIG = `
provider "cmek" {
  data_dir = "d"
}

resource "cmek_kms_key" "orders" {
  region = "eu-west-1"
  alias  = "alias/orders"
}

resource "cmek_encrypted_service" "orders" {
  name    = "orders"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.orders.arn
}
`;

let dir: string;
let svcId: string;
let keyArn: string;

function ok(args: string[], input?: string) {
  const r = cmek(dir, args, input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function timed(args: string[], input?: string) {
  const t0 = Date.now();
  const r = ok(args, input);
  return { ...r, ms: Date.now() - t0 };
}

/** A pid that surely is not running any more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

beforeAll(() => {
  dir = tempDir({ 'main.tf': CONFIG });
  ok(['apply', '-auto-approve']);
  const svc = JSON.parse(ok(['service', 'ls', '-json']).stdout)[0];
  svcId = svc.id;
  keyArn = svc.kekArn;
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('empty or foreign lock files', () => {
  it('an empty service lock (disk full) blocks neither writes nor the key check', () => {
    const lock = join(dir, 'd', 'services', `${svcId}.lock`);
    writeFileSync(lock, '');
    // Before: every update of the record waited the 30 s lock timeout, then failed.
    expect(timed(['poll', '--once', '--all']).ms).toBeLessThan(10_000);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, '');
    ok(['kms', 'disable', keyArn, '--data-dir', 'd']);
    // The poller can stop the service whose key was revoked.
    const p = timed(['poll', '--once', '--all']);
    expect(p.ms).toBeLessThan(10_000);
    expect(p.stdout).toMatch(/orders \(clickhouse\)\s+RUNNING → STOPPED/);
    ok(['kms', 'enable', keyArn, '--data-dir', 'd']);
    ok(['service', 'start', 'orders']);
    ok(['data', 'put', 'orders', 'doc', '-'], 'v2');
    expect(ok(['data', 'get', 'orders', 'doc']).stdout).toBe('v2');
  });

  it('an empty keystore.lock does not hold KMS writes', () => {
    const lock = join(dir, 'd', 'kms', 'keystore.lock');
    writeFileSync(lock, '');
    // Before: 30 s (the lock's age limit) per write.
    expect(timed(['kms', 'disable', keyArn, '--data-dir', 'd']).ms).toBeLessThan(10_000);
    expect(existsSync(lock)).toBe(false);
    ok(['kms', 'enable', keyArn, '--data-dir', 'd']);
  });

  it("a lock of a dead process is broken; another host's is removed by force-unlock ID", () => {
    const lock = join(dir, 'd', 'services', `${svcId}.lock`);
    const info = {
      ID: 'e3a8c2f0-dead-4000-8000-000000000001',
      Operation: 'update',
      Info: '',
      Who: 'someone@elsewhere',
      Version: '',
      Created: new Date().toISOString(),
      Path: lock,
    };
    writeFileSync(lock, JSON.stringify({ ...info, Pid: deadPid(), Host: hostnameOf() }));
    ok(['poll', '--once', '--all']);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, JSON.stringify({ ...info, Pid: 1, Host: 'elsewhere.example' }));
    const wrong = cmek(dir, ['force-unlock', 'nope', '-force']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`is locked with ID ${info.ID}`);
    expect(existsSync(lock)).toBe(true);
    expect(ok(['force-unlock', info.ID, '-force']).stdout).toContain('successfully unlocked');
    expect(existsSync(lock)).toBe(false);
  });
});

describe('an unreadable state lock', () => {
  it('is reported with an ID that force-unlock takes', () => {
    const lock = join(dir, '.terraform.tfstate.lock.info');
    writeFileSync(lock, 'garbage');
    const plan = cmek(dir, ['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('STATE_LOCKED');
    const id = /ID:\s+(unreadable-[0-9a-f]{12})/.exec(plan.stderr)?.[1];
    expect(id, plan.stderr).toBeDefined();
    expect(plan.stderr).toContain(`cmek force-unlock ${id}`);
    // A later different garbage gets another ID: an old ID never removes a new file.
    expect(ok(['force-unlock', id!, '-force']).stdout).toContain(
      'cmek state has been successfully unlocked',
    );
    expect(existsSync(lock)).toBe(false);
    ok(['plan']);
    const none = cmek(dir, ['force-unlock', id!, '-force']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('No lock to unlock');
  });
});

describe('temp files of killed puts', () => {
  it('are swept by any store operation, not only ls', () => {
    const partial = join(dir, 'd', 'objects', svcId, '.partial');
    const stale = join(partial, `${deadPid()}-0.0123456789ab.tmp`);
    const live = join(partial, `${process.pid}-0.ba9876543210.tmp`);
    mkdirSync(partial, { recursive: true });
    writeFileSync(stale, Buffer.alloc(1 << 20));
    writeFileSync(live, 'in flight');
    expect(ok(['data', 'get', 'orders', 'doc']).stdout).toBe('v2');
    expect(readdirSync(partial).sort()).toEqual([live.slice(partial.length + 1)]);
    rmSync(live);
  });
});

function hostnameOf(): string {
  return spawnSync(process.execPath, ['-p', 'require("os").hostname()']).stdout.toString().trim();
}
