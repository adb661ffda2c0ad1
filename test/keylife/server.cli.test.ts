// `cmek server` through the real binary: the long-running control plane with its key poller and
// the KMS wire server. A key disabled while it runs stops the clickhouse service and suspends the
// cloudsql one; the cloudsql one resumes by itself when the key is back; SIGTERM stops it
// cleanly (exit 0), saying so.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, cmekSpawn, tempDir } from '../e2e/harness.js';
import { withDataDir } from './support.js';

const SQL_KEY = 'projects/local/locations/europe-west1/keyRings/ring/cryptoKeys/sql';
const CONFIG = `
resource "cmek_kms_key" "ch" {
  region = "eu-west-1"
  alias  = "alias/ch"
}
resource "cmek_kms_key" "sql" {
  region   = "europe-west1"
  key_ring = "ring"
  name     = "sql"
}
resource "cmek_encrypted_service" "ch" {
  name    = "ch"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.ch.arn
}
resource "cmek_encrypted_service" "sql" {
  name    = "sql"
  region  = "europe-west1"
  profile = "cloudsql"
  kms_key = cmek_kms_key.sql.arn
}
`;

let dir: string;
let server: ChildProcess | undefined;

function run(args: string[], exit = 0) {
  const r = cmek(dir, withDataDir(args));
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return r;
}

/** Collects a child's output; `until(re)` resolves once the output matches (or fails after
 * `ms`, printing what was seen: a hang must not look like a pass). */
function watch(child: ChildProcess) {
  let out = '';
  const waiters: Array<() => void> = [];
  const feed = (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  async function until(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${out}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  return { until, exited, output: () => out };
}

beforeAll(() => {
  cliBin();
  dir = tempDir({ 'main.tf': CONFIG });
  run(['apply', '-auto-approve']);
}, 120_000);
afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('cmek server', () => {
  it('polls keys (STOPPED / SUSPENDED / auto-resume), serves the KMS, stops cleanly on SIGTERM', async () => {
    server = cmekSpawn(dir, ['server', '--interval', '200ms', '--kms-port', '0']);
    const w = watch(server);
    await w.until(/cmek server: ready/);
    expect(w.output()).toMatch(/control plane on .*\.cmek \(2 service\(s\)\)/);
    const url = (await w.until(/kms listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    // An unsigned request is refused the AWS way: the wire server is really there.
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.ListKeys',
      },
      body: '{}',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(((await res.json()) as { __type?: string }).__type).toBeDefined();

    run(['kms', 'disable', 'alias/ch']);
    run(['kms', 'disable', SQL_KEY]);
    await w.until(/ch \(clickhouse\)\s+RUNNING → STOPPED\s+key check failed/);
    await w.until(/sql \(cloudsql\)\s+RUNNING → SUSPENDED\s+key check failed/);
    expect(run(['data', 'get', 'sql', 'x'], 1).stderr).toContain('CMEK_SERVICE_UNAVAILABLE');

    run(['kms', 'enable', SQL_KEY]);
    run(['kms', 'enable', 'alias/ch']);
    await w.until(/sql \(cloudsql\)\s+SUSPENDED → RUNNING\s+key check passed/);
    server.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/cmek server: SIGTERM, shutting down/);
    expect(w.output()).toMatch(/cmek server: stopped \(\d+ poll pass\(es\)/);
    // clickhouse never resumed by itself.
    expect(w.output()).not.toMatch(/ch \(clickhouse\)\s+STOPPED →/);
    expect(JSON.parse(run(['service', 'describe', 'ch', '-json']).stdout).status).toBe('STOPPED');
  }, 90_000);

  it('cmek poll without --once keeps polling and prints transitions until SIGINT', async () => {
    // State left by the test above: ch is STOPPED, its key enabled again.
    const poll = cmekSpawn(dir, ['poll', '--interval', '200ms']);
    const w = watch(poll);
    run(['kms', 'disable', SQL_KEY]);
    await w.until(/sql \(cloudsql\)\s+RUNNING → SUSPENDED/);
    run(['kms', 'enable', SQL_KEY]);
    await w.until(/sql \(cloudsql\)\s+SUSPENDED → RUNNING/);
    poll.kill('SIGINT');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/poll: SIGINT, shutting down/);
  }, 60_000);
});
