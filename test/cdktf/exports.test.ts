// The package entries of the cdktf integration, imported by name from the package the e2e
// harness built from these sources: `cmek/cdktf` exports the constructs and the Aspect and never
// loads @cdktf/provider-aws; `cmek/cdktf/aws` loads only the two provider-aws modules it uses;
// the main entry `cmek` loads no cdktf at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin } from '../e2e/harness.js';
import { loadEntry } from '../support/load-entry.js';

let pkg: string;
const work = mkdtempSync(join(tmpdir(), 'cmek-cdktf-exports-'));
beforeAll(() => {
  pkg = resolve(dirname(cliBin()), '..', '..');
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const load = (specifier: string) => loadEntry(specifier, pkg, work);

describe('cdktf package entries', () => {
  it('cmek/cdktf exports the constructs and the Aspect, without @cdktf/provider-aws', () => {
    const { names, urls } = load('cmek/cdktf');
    expect(names).toEqual(
      expect.arrayContaining([
        'CmekProvider',
        'KmsKey',
        'KmsKeyPolicy',
        'EncryptedService',
        'Replica',
        'Clone',
        'Backup',
        'BackupRestore',
        'CmekRules',
      ]),
    );
    expect(urls.some((u) => u.includes('/node_modules/cdktf/'))).toBe(true);
    expect(urls.filter((u) => u.includes('@cdktf/provider-aws'))).toEqual([]);
  }, 60_000);

  it('cmek/cdktf/aws exports ClickHouseCmekKey and loads only the provider-aws modules it uses', () => {
    const { names, urls } = load('cmek/cdktf/aws');
    expect(names).toContain('ClickHouseCmekKey');
    const aws = urls.filter((u) => u.includes('@cdktf/provider-aws/'));
    expect(aws.length).toBeGreaterThan(0);
    expect(aws.every((u) => /provider-aws\/lib\/kms-key(-policy)?\/index\.js$/.test(u))).toBe(true);
  }, 60_000);

  it('the main entry cmek loads no cdktf', () => {
    const { urls } = load('cmek');
    expect(urls.filter((u) => /node_modules\/(cdktf|constructs|@cdktf\/provider)/.test(u))).toEqual(
      [],
    );
    expect(urls.filter((u) => u.includes('/dist/cdktf/'))).toEqual([]);
  }, 60_000);
});
