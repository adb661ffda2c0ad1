// `cmek service` and `cmek data` through the real binary (built by the e2e harness), on a
// configuration applied by `cmek apply`: the whole user path of docs/cli/service.md.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';

const CONFIG = `
provider "cmek" {
  data_dir = "state-data"
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

function ok(args: string[], input?: string) {
  const r = cmek(dir, args, input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

beforeAll(() => {
  dir = tempDir({ 'main.tf': CONFIG });
  ok(['apply', '-auto-approve']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cmek service', () => {
  it('ls / describe read the data_dir of the provider block', () => {
    const ls = ok(['service', 'ls']);
    expect(ls.stdout).toMatch(/orders\s+svc-[0-9a-f]{16}\s+eu-west-1\s+clickhouse\s+RUNNING\s+yes/);
    const json = JSON.parse(ok(['service', 'ls', '-json']).stdout);
    expect(json).toHaveLength(1);
    const d = JSON.parse(ok(['service', 'describe', json[0].id, '-json']).stdout);
    expect(d).toMatchObject({ name: 'orders', status: 'RUNNING', keyOwner: 'customer' });
    expect(d.events[0].type).toBe('created');
    // An explicit --data-dir elsewhere sees nothing.
    expect(ok(['service', 'ls', '--data-dir', join(dir, 'other')]).stdout).toMatch(/No services/);
  });

  it('a stopped service refuses data access until start succeeds (key re-checked)', () => {
    ok(['kms', 'disable', 'alias/orders', '--data-dir', 'state-data']);
    // Stop it as the poller would (the poller is the next issue): through the library.
    const stop = `
      import { openServicePlane } from ${JSON.stringify(join(process.cwd(), 'src/cli/commands/service.ts'))};
      const cp = await openServicePlane({});
      await cp.setStatus('orders', 'STOPPED', 'key disabled (test)');
    `;
    writeFileSync(join(dir, 'stop.mts'), stop);
    const r = spawnSync(join(process.cwd(), 'node_modules/.bin/tsx'), ['stop.mts'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);

    const put = cmek(dir, ['data', 'put', 'orders', 'x', '-'], { input: 'data' });
    expect(put.code).toBe(1);
    expect(put.stderr).toContain('CMEK_SERVICE_UNAVAILABLE');
    const start = cmek(dir, ['service', 'start', 'orders']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('CMEK_KEY_INACCESSIBLE');
    ok(['kms', 'enable', 'alias/orders', '--data-dir', 'state-data']);
    expect(ok(['service', 'start', 'orders']).stdout).toMatch(/STOPPED → RUNNING/);
  });
});

describe('cmek data', () => {
  it('put (file and stdin) / get (stdout, -o, --range) / ls / rm', () => {
    writeFileSync(join(dir, 'in.bin'), Buffer.alloc(200_000, 7));
    expect(ok(['data', 'put', 'orders', 'blob', 'in.bin']).stdout).toMatch(/Wrote 200000 bytes/);
    ok(['data', 'put', 'orders', 'dir/note.txt', '-'], 'PLAINTEXT-MARKER hello');
    ok(['data', 'put', 'orders', 'empty', '-'], '');
    expect(ok(['data', 'get', 'orders', 'dir/note.txt']).stdout).toBe('PLAINTEXT-MARKER hello');
    expect(ok(['data', 'get', 'orders', 'dir/note.txt', '--range', '17-21']).stdout).toBe('hello');
    ok(['data', 'get', 'orders', 'blob', '-o', 'out.bin']);
    expect(readFileSync(join(dir, 'out.bin')).equals(readFileSync(join(dir, 'in.bin')))).toBe(true);
    expect(ok(['data', 'get', 'orders', 'empty']).stdout).toBe('');

    const ls = JSON.parse(ok(['data', 'ls', 'orders', '-json']).stdout);
    expect(ls.map((o: { name: string }) => o.name)).toEqual(['blob', 'dir/note.txt', 'empty']);
    expect(ok(['data', 'ls', 'orders', 'dir/']).stdout).toMatch(/22\s+\S+\s+dir\/note\.txt\n$/);

    // Nothing under the data dir holds the plaintext.
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) =>
        statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)],
      );
    for (const f of walk(join(dir, 'state-data'))) {
      expect(readFileSync(f).includes('PLAINTEXT-MARKER'), f).toBe(false);
    }

    ok(['data', 'rm', 'orders', 'dir/note.txt']);
    const again = cmek(dir, ['data', 'rm', 'orders', 'dir/note.txt']);
    expect(again.code).toBe(1);
    const missing = cmek(dir, ['data', 'get', 'orders', 'dir/note.txt']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No object');
    const nosvc = cmek(dir, ['data', 'ls', 'nope']);
    expect(nosvc.code).toBe(1);
    expect(nosvc.stderr).toContain('No service');
  });
});

describe('crash safety', () => {
  it('kill -9 in the middle of a put leaves the previous version intact', async () => {
    ok(['data', 'put', 'orders', 'doc', '-'], 'version 1');
    const child = spawn(process.execPath, [cliBin(), 'data', 'put', 'orders', 'doc', '-'], {
      cwd: dir,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Writes still queued when we kill the child fail with EPIPE: expected, not a test error.
    child.stdin.on('error', () => {});
    // Feed a few MiB and wait until the temp file exists, then kill without warning.
    const chunk = Buffer.alloc(1 << 20, 1);
    for (let i = 0; i < 4; i++) child.stdin.write(chunk);
    const objDir = join(dir, 'state-data', 'objects');
    // A put writes in the service's .partial directory until its rename.
    const svcDir = join(objDir, readdirSync(objDir)[0]!, '.partial');
    const temps = () => readdirSync(svcDir, { withFileTypes: true }).filter((f) => f.isFile());
    for (let i = 0; i < 200 && !temps().some((f) => f.name.endsWith('.tmp')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(
      temps().some((f) => f.name.endsWith('.tmp')),
      'the put had started',
    ).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(ok(['data', 'get', 'orders', 'doc']).stdout).toBe('version 1');
    const names = JSON.parse(ok(['data', 'ls', 'orders', '-json']).stdout).map(
      (o: { name: string }) => o.name,
    );
    expect(names.filter((n: string) => n === 'doc')).toHaveLength(1);
    // The next store operation (the get above) swept the dead writer's temp file.
    expect(temps().map((f) => f.name)).toEqual([]);
  });
});
