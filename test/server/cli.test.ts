// `cmek server --listen` end to end with the real CLI: a server process, working directories
// whose provider block has `endpoint` (examples/team), `cmek apply`, `cmek data put/get`
// byte-identical, refusals, and a team of four working directories applying and writing at once.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cmek,
  cmekAsync,
  copyExample,
  ROOT,
  startCmekServer,
  type CmekServer,
  type RunResult,
} from '../e2e/harness.js';

const ALICE = { CMEK_ACCESS_KEY_ID: 'AKIDALICE', CMEK_SECRET_ACCESS_KEY: 'alice-secret-change-me' };

let serverDir: string;
let server: ChildProcess;
let url: string;
let srv: CmekServer;

const run = cmekAsync;

function client(team: string): { dir: string; env: Record<string, string> } {
  return {
    dir: copyExample('team'),
    env: { ...ALICE, TF_VAR_cmek_endpoint: url, TF_VAR_team: team },
  };
}

beforeAll(async () => {
  srv = await startCmekServer();
  server = srv.proc;
  serverDir = srv.dir;
  url = srv.url;
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

describe('cmek server --listen with the CLI', () => {
  it('docs/team.md shows the example that runs here', () => {
    const doc = readFileSync(join(ROOT, 'docs/team.md'), 'utf8');
    const example = readFileSync(join(ROOT, 'examples/team/main.tf'), 'utf8');
    const head = example.slice(
      example.indexOf('variable "cmek_endpoint"'),
      example.indexOf('resource '),
    );
    expect(doc).toContain(head.trim());
    const creds = JSON.parse(
      readFileSync(join(ROOT, 'examples/team/team-credentials.json'), 'utf8'),
    ) as Record<string, { secret: string }>;
    for (const [id, c] of Object.entries(creds))
      expect(doc).toContain(`"${id}": { "secret": "${c.secret}"`);
  });

  it(
    'apply, data put/get byte-identical, service ls: all through the server',
    { timeout: 180_000 },
    async () => {
      const { dir, env } = client('payments');
      const apply = cmek(dir, ['apply', '-auto-approve'], { env });
      expect(apply.code, apply.stderr + apply.stdout).toBe(0);
      const body = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(join(dir, 'report.bin'), body);
      const put = cmek(dir, ['data', 'put', 'payments-orders', 'report', 'report.bin'], { env });
      expect(put.code, put.stderr).toBe(0);
      expect(put.stdout).toContain(`Wrote ${body.length} bytes`);
      const get = cmek(dir, ['data', 'get', 'payments-orders', 'report', '-o', 'back.bin'], {
        env,
      });
      expect(get.code, get.stderr).toBe(0);
      expect(readFileSync(join(dir, 'back.bin')).equals(body)).toBe(true);
      const ls = cmek(dir, ['service', 'ls', '--json'], { env });
      expect(JSON.parse(ls.stdout).map((s: { name: string }) => s.name)).toEqual([
        'payments-orders',
      ]);
      // Nothing of the control plane or the KMS is in the working directory: it is on the server.
      expect(existsSync(join(dir, '.cmek'))).toBe(false);
      const there = cmek(serverDir, ['service', 'ls', '--json']);
      expect(JSON.parse(there.stdout).map((s: { name: string }) => s.name)).toEqual([
        'payments-orders',
      ]);
      const again = cmek(dir, ['plan', '-detailed-exitcode'], { env });
      expect(again.code, again.stdout + again.stderr).toBe(0);
    },
  );

  it(
    'refuses a wrong secret with SERVER_AUTH_FAILED (no stack), and logs it on the server',
    { timeout: 60_000 },
    async () => {
      const { dir, env } = client('payments');
      const r = cmek(dir, ['data', 'ls', 'payments-orders'], {
        env: { ...env, CMEK_SECRET_ACCESS_KEY: 'guess' },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('SERVER_AUTH_FAILED');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // cmek() blocked this process: give the server's stderr a moment to arrive.
      const end = Date.now() + 10_000;
      while (!/refused objects\.list/.test(srv.err()) && Date.now() < end)
        await new Promise((res) => setTimeout(res, 50));
      expect(srv.err(), srv.out()).toMatch(
        /refused objects\.list from 127\.0\.0\.1:\d+: InvalidSignatureException/,
      );
      const down = cmek(dir, ['data', 'ls', 'payments-orders'], {
        env: { ...env, TF_VAR_cmek_endpoint: 'http://127.0.0.1:9' },
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('SERVER_UNAVAILABLE');
      const poll = cmek(dir, ['poll'], { env });
      expect(poll.code).toBe(1);
      expect(poll.stderr).toContain('USAGE');
    },
  );

  it(
    'a team: four working directories apply and write at once; everything converges',
    { timeout: 300_000 },
    async () => {
      const teams = ['t0', 't1', 't2', 't3'].map((t) => ({ team: t, ...client(t) }));
      const applied = await Promise.all(
        teams.map((t) => run(t.dir, ['apply', '-auto-approve'], t.env)),
      );
      for (const a of applied) expect(a.code, a.stderr + a.stdout).toBe(0);
      const bodies = new Map<string, Buffer>();
      const writes: Promise<RunResult>[] = [];
      for (const t of teams) {
        for (const n of [0, 1, 2]) {
          const body = randomBytes(256 * 1024 + n * 4099);
          const file = `o${n}.bin`;
          writeFileSync(join(t.dir, file), body);
          bodies.set(`${t.team}-orders/${file}`, body);
          writes.push(run(t.dir, ['data', 'put', `${t.team}-orders`, file, file], t.env));
        }
      }
      // A second apply of each directory at the same time as the writes: nothing to do.
      const replans = teams.map((t) => run(t.dir, ['apply', '-auto-approve'], t.env));
      for (const w of await Promise.all(writes)) expect(w.code, w.stderr).toBe(0);
      for (const a of await Promise.all(replans)) {
        expect(a.code, a.stderr).toBe(0);
        expect(a.stdout).toContain('0 added, 0 changed, 0 destroyed');
      }
      // One service per team on the server (plus the first test's), no duplicates.
      const ls = cmek(serverDir, ['service', 'ls', '--json']);
      const names = (JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name).sort();
      expect(names).toEqual([
        'payments-orders',
        't0-orders',
        't1-orders',
        't2-orders',
        't3-orders',
      ]);
      // Every object reads back byte-identical, from another team's working directory.
      const reader = teams[3]!;
      for (const [key, body] of bodies) {
        const [svc, obj] = key.split('/') as [string, string];
        const out = `${svc}-${obj}.back`;
        const g = await run(reader.dir, ['data', 'get', svc, obj, '-o', out], reader.env);
        expect(g.code, g.stderr).toBe(0);
        expect(readFileSync(join(reader.dir, out)).equals(body), key).toBe(true);
      }
      for (const t of teams) {
        const p = await run(t.dir, ['plan', '-detailed-exitcode'], t.env);
        expect(p.code, p.stdout + p.stderr).toBe(0);
      }
    },
  );

  it('stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => server.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(srv.out()).toMatch(/stopped/);
  });
});
