// `cmek data get` through the real binary: what is said and what is left behind when an object
// fails authentication half-way, or the process is stopped half-way (docs/threat-model.md,
// "Where plaintext can remain").
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  closeSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';

const CONFIG = `
resource "cmek_kms_key" "k" {
  region = "eu-west-1"
}

resource "cmek_encrypted_service" "s" {
  name    = "s"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k.arn
}
`;

let dir: string;
const MiB = 1024 * 1024;

function ok(args: string[]) {
  const r = cmek(dir, args);
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** The stored file of the only object (objects/<service id>/...). */
function storedFile(): string {
  const root = join(dir, '.cmek', 'objects');
  const [svc] = readdirSync(root);
  const files = readdirSync(join(root, svc!)).filter((f) => !f.startsWith('.'));
  expect(files).toHaveLength(1);
  return join(root, svc!, files[0]!);
}

beforeAll(() => {
  cliBin(); // the build, on a busy machine, may take a while
  dir = tempDir({ 'main.tf': CONFIG });
  ok(['apply', '-auto-approve']);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cmek data get of a tampered multi-chunk object', () => {
  // More than two of get's 4 MiB read batches, so verified batches go out before the bad one.
  const plain = Buffer.alloc(9 * MiB);
  for (let i = 0; i < plain.length; i++) plain[i] = (i * 31 + (i >> 16)) & 0xff;

  beforeAll(() => {
    writeFileSync(join(dir, 'big.bin'), plain);
    ok(['data', 'put', 's', 'big', 'big.bin']);
    // Flip one byte near the end of the body: the last chunks fail authentication.
    const file = storedFile();
    const fd = openSync(file, 'r+');
    const at = statSync(file).size - 100_000;
    writeSync(fd, Buffer.from([readFileSync(file)[at]! ^ 0x40]), 0, 1, at);
    closeSync(fd);
  });

  it('to stdout: says truthfully how many verified bytes were written', () => {
    const r = spawnSync(process.execPath, [cliBin(), 'data', 'get', 's', 'big'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 16 * MiB,
    });
    expect(r.status).toBe(1);
    const stderr = r.stderr.toString();
    const stdout = r.stdout as Buffer;
    expect(stderr).toContain('CMEK_INTEGRITY');
    expect(stderr).not.toContain('No plaintext was returned');
    expect(stdout.length).toBeGreaterThan(0);
    expect(stdout.length).toBeLessThan(plain.length);
    // What was written is a verified prefix, and the message gives its exact length.
    expect(stdout.equals(plain.subarray(0, stdout.length))).toBe(true);
    expect(stderr).toContain(`${stdout.length} bytes were already written to stdout`);
    expect(stderr).toMatch(/object is incomplete\. Discard that output/);
  });

  it('to -o FILE: no file and no temp file is left, and nothing was written', () => {
    const r = cmek(dir, ['data', 'get', 's', 'big', '-o', 'out.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CMEK_INTEGRITY');
    expect(r.stderr).toContain('nothing from the failing chunk on was returned');
    expect(readdirSync(dir).filter((f) => f.includes('out.bin'))).toEqual([]);
  });
});

describe('cmek data get -o and its temp plaintext', () => {
  const size = 48 * MiB;

  beforeAll(() => {
    writeFileSync(join(dir, 'huge.bin'), Buffer.alloc(size, 0x5a));
    ok(['data', 'put', 's', 'huge', 'huge.bin']);
  });

  it('removes a stale .part of a dead process on the next get into the directory', () => {
    // A pid that is certainly gone: a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
      .stdout.toString()
      .trim();
    const stale = join(dir, `.old.bin.${dead}.part`);
    writeFileSync(stale, 'PLAINTEXT PREFIX', { mode: 0o644 });
    const live = join(dir, `.other.bin.${process.pid}.part`); // ours: alive, left alone
    writeFileSync(live, 'x');
    ok(['data', 'get', 's', 'huge', '-o', 'copy.bin']);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    rmSync(live);
    expect(statSync(join(dir, 'copy.bin')).size).toBe(size);
    expect(statSync(join(dir, 'copy.bin')).mode & 0o777).toBe(0o600);
    rmSync(join(dir, 'copy.bin'));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`creates the temp plaintext 0600 and removes it on ${signal}`, async () => {
      const child = spawn(process.execPath, [cliBin(), 'data', 'get', 's', 'huge', '-o', 'x.bin'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
      const part = join(dir, `.x.bin.${child.pid}.part`);
      let mode = -1;
      for (let i = 0; i < 4000 && child.exitCode === null; i++) {
        if (existsSync(part)) {
          try {
            if (statSync(part).size > 0) {
              mode = statSync(part).mode & 0o777;
              break;
            }
          } catch {
            // renamed between the two calls: the get finished
          }
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(mode, `the get finished before it could be stopped\n${stderr}`).toBe(0o600);
      child.kill(signal);
      await exited;
      expect(existsSync(part)).toBe(false);
      expect(existsSync(join(dir, 'x.bin'))).toBe(false);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});
