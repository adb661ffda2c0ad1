// Key loss through the real CLI with real data, both profiles (docs/key-lifecycle.md rows "key becomes
// inaccessible", "key check", "key deleted"):
// - `cmek poll --once` checks each service at its own key_check_interval (1s here, 10m for the
//   control service): clickhouse STOPS and stays stopped until `cmek service start`; cloudsql
//   SUSPENDS and resumes by itself at the next poll once the key is back;
// - cloudsql also checks the key on every update (`cmek apply` of a description change);
// - schedule-deletion + purge: data unrecoverable (crypto-shredded), said plainly by data get,
//   service describe, service start and poll.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, tempDir } from '../e2e/harness.js';
import { withDataDir } from './support.js';

const SQL_KEY = 'projects/local/locations/europe-west1/keyRings/ring/cryptoKeys/sql';

function config(sqlDescription = 'ledger'): string {
  return `
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
  name               = "ch"
  region             = "eu-west-1"
  kms_key            = cmek_kms_key.ch.arn
  key_check_interval = "1s"
}
# Same key, default interval (10m): not due when ch is.
resource "cmek_encrypted_service" "slow" {
  name    = "slow"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.ch.arn
}
resource "cmek_encrypted_service" "sql" {
  name               = "sql"
  region             = "europe-west1"
  profile            = "cloudsql"
  kms_key            = cmek_kms_key.sql.arn
  key_check_interval = "1s"
  description        = "${sqlDescription}"
}
`;
}

let dir: string;

function run(args: string[], exit = 0, input?: string) {
  const r = cmek(dir, withDataDir(args), input === undefined ? {} : { input });
  expect(r.code, `cmek ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return r;
}

/** Let a 1s key_check_interval pass (a wait, not a timing assertion). */
const interval = () => new Promise((r) => setTimeout(r, 1100));

function describeJson(name: string) {
  return JSON.parse(run(['service', 'describe', name, '-json']).stdout) as {
    id: string;
    status: string;
    statusReason: string;
    keyDestroyed?: { at: string; source: string };
  };
}

beforeAll(() => {
  cliBin();
  dir = tempDir({ 'main.tf': config() });
  run(['apply', '-auto-approve']);
  run(['data', 'put', 'ch', 'o', '-'], 0, 'clickhouse data');
  run(['data', 'put', 'sql', 'o', '-'], 0, 'cloudsql data');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key becomes inaccessible: STOPPED vs SUSPENDED', () => {
  it('poll --once at each interval; clickhouse needs start, cloudsql resumes by itself', async () => {
    run(['kms', 'disable', 'alias/ch']);
    run(['kms', 'disable', SQL_KEY]);
    await interval();
    // Through the configuration's provider block (no --data-dir), as a user runs it.
    const p1 = cmek(dir, ['poll', '--once']);
    expect(p1.code, p1.stderr).toBe(0);
    expect(p1.stdout).toMatch(
      /ch \(clickhouse\)\s+RUNNING → STOPPED\s+key check failed: .*Disabled/,
    );
    expect(p1.stdout).toMatch(/sql \(cloudsql\)\s+RUNNING → SUSPENDED\s+key check failed/);
    expect(p1.stdout).toContain('Checked 2 service(s), 1 not due; 2 transition(s).');
    expect(p1.stdout).not.toMatch(/slow/);

    const g1 = run(['data', 'get', 'ch', 'o'], 1);
    expect(g1.stderr).toContain('CMEK_SERVICE_UNAVAILABLE');
    expect(run(['data', 'get', 'sql', 'o'], 1).stderr).toContain('CMEK_SERVICE_UNAVAILABLE');
    const d = run(['service', 'describe', 'ch']).stdout;
    expect(d).toMatch(/status:\s+STOPPED — key check failed: Key .* is Disabled/);
    expect(d).toMatch(/status RUNNING→STOPPED\s+key check failed/);
    // Every transition is in events.log with its time and reason.
    const log = readFileSync(join(dir, '.cmek', 'events.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; name: string; to?: string; time: string });
    const status = log.filter((e) => e.type === 'status');
    expect(status.map((e) => `${e.name}:${e.to}`)).toEqual(['ch:STOPPED', 'sql:SUSPENDED']);
    expect(status.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);

    run(['kms', 'enable', 'alias/ch']);
    run(['kms', 'enable', SQL_KEY]);
    await interval();
    const p2 = run(['poll', '--once']);
    expect(p2.stdout).toMatch(/sql \(cloudsql\)\s+SUSPENDED → RUNNING\s+key check passed/);
    expect(p2.stdout).not.toMatch(/ch \(clickhouse\)\s+STOPPED →/);
    expect(run(['data', 'get', 'sql', 'o']).stdout).toBe('cloudsql data');
    expect(describeJson('ch').status).toBe('STOPPED');
    expect(run(['service', 'start', 'ch']).stdout).toContain('STOPPED → RUNNING');
    expect(run(['data', 'get', 'ch', 'o']).stdout).toBe('clickhouse data');
  }, 60_000);

  it('cloudsql checks the key on every update: apply fails and suspends, then resumes', () => {
    run(['kms', 'disable', SQL_KEY]);
    writeFileSync(join(dir, 'main.tf'), config('ledger v2'));
    const a1 = run(['apply', '-auto-approve'], 1);
    expect(a1.stderr).toContain('CMEK_KEY_INACCESSIBLE');
    expect(describeJson('sql').status).toBe('SUSPENDED');
    run(['kms', 'enable', SQL_KEY]);
    run(['apply', '-auto-approve']);
    const d = describeJson('sql');
    expect(d.status).toBe('RUNNING');
    expect(d.statusReason).toBe('key check passed: key accessible again');
  }, 60_000);
});

describe('key deleted: crypto-shredding', () => {
  it('schedule-deletion + purge: data unrecoverable, said plainly everywhere, both profiles', () => {
    run(['kms', 'schedule-deletion', 'alias/ch', '--pending-window-in-days', '7']);
    run(['kms', 'schedule-deletion', SQL_KEY, '--pending-window-in-days', '7']);
    run(['kms', 'purge']);
    // Before any poll: the read already says why (the unwrap fails on a destroyed key).
    const g0 = run(['data', 'get', 'ch', 'o'], 1);
    expect(g0.stderr).toMatch(
      /CMEK_SERVICE_UNAVAILABLE: Data of service ch is unrecoverable \(crypto-shredded\)/,
    );

    const p = run(['poll', '--once', '--all']);
    expect(p.stdout).toMatch(/ch \(clickhouse\)\s+RUNNING → STOPPED\s+key material destroyed/);
    expect(p.stdout).toMatch(/sql \(cloudsql\)\s+RUNNING → STOPPED\s+key material destroyed/);
    expect(p.stdout).toMatch(/slow \(clickhouse\)\s+RUNNING → STOPPED\s+.*crypto-shredded/);

    const sql = describeJson('sql');
    expect(sql.keyDestroyed?.at).toBeDefined();
    const g1 = run(['data', 'get', 'sql', 'o'], 1);
    // The local KMS dates the destruction (the purge), so the message gives that date.
    expect(sql.keyDestroyed!.source).toBe('kms');
    expect(g1.stderr).toContain(`the key material was destroyed on ${sql.keyDestroyed!.at}`);
    expect(g1.stderr).toMatch(/permanently unreadable/);
    expect(run(['service', 'describe', 'ch']).stdout).toMatch(
      /data:\s+UNRECOVERABLE \(crypto-shredded\)/,
    );
    const s = run(['service', 'start', 'ch'], 1);
    expect(s.stderr).toMatch(
      /CMEK_KEY_INACCESSIBLE: Data of service ch is unrecoverable \(crypto-shredded\)/,
    );
    // cloudsql does not resume: the key never comes back.
    expect(run(['poll', '--once', '--all']).stdout).toContain('0 transition(s)');
  }, 60_000);
});
