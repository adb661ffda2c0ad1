// The package's public entry points (package.json "exports"), imported from the built dist by
// the package name, as a user would (Node resolves a package's own name through "exports").
// Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEntry } from './support/load-entry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string } | string>;
};

// A few names each entry must export (the docs and the front doors use them).
const ENTRIES: Record<string, string[]> = {
  cmek: ['plan', 'apply', 'validate', 'loadState', 'encryptBuffer', 'MemoryKms', 'checkRules'],
  'cmek/engine': ['plan', 'apply', 'openWorkspace', 'renderPlanJson', 'readPlanFile'],
  'cmek/defaults': ['defaultDeps', 'RESOURCE_TYPES', 'createProviderContext', 'controlPlaneFor'],
  'cmek/rules': ['checkRules', 'cmekRuleInput', 'RULES', 'explainCode'],
  'cmek/model': ['diag', 'DiagnosticError', 'DIAGNOSTIC_CODES', 'parseKeyRef', 'Unknown'],
  'cmek/resources': ['RESOURCE_TYPES', 'resourceType', 'kmsKey', 'encryptedService'],
  'cmek/core': ['encryptBuffer', 'decryptBuffer', 'ServiceKeySet', 'KeyCache'],
  'cmek/kms': ['createKms', 'openLocalKms', 'MemoryKms', 'AwsKms', 'isKmsError'],
  // Pulumi: the seven classes and the CrossGuard pack.
  'cmek/pulumi': [
    'KmsKey',
    'KmsKeyPolicy',
    'EncryptedService',
    'Replica',
    'Clone',
    'Backup',
    'BackupRestore',
  ],
  'cmek/pulumi-policy': ['cmekPolicies', 'cmekPolicyPack', 'cmekStackRules', 'PULUMI_TYPES'],
  // cdktf integration (test/cdktf/exports.test.ts checks what each loads).
  'cmek/cdktf': ['CmekProvider', 'KmsKey', 'EncryptedService', 'Replica', 'CmekRules'],
  'cmek/cdktf/aws': ['ClickHouseCmekKey'],
};

const work = mkdtempSync(join(tmpdir(), 'cmek-exports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Import `specifier` in a fresh node (cwd: the repo, so the package name resolves to itself)
 * and return its export names and every project module (dist/**) that got loaded. */
function load(specifier: string): { names: string[]; loaded: string[] } {
  const { names, urls } = loadEntry(specifier, ROOT, work);
  const dist = `file://${ROOT}/dist/`;
  const loaded = urls.filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length));
  return { names, loaded: [...new Set(loaded)].sort() };
}

describe('package.json exports', () => {
  it('names exactly the entries tested here, each with types in dist', () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(subpaths.map((k) => (k === '.' ? 'cmek' : `cmek/${k.slice(2)}`)).sort()).toEqual(
      Object.keys(ENTRIES).sort(),
    );
    for (const k of subpaths) {
      const e = pkg.exports[k] as { types: string; import: string };
      expect(e.types, k).toMatch(/^\.\/dist\/.*\.d\.ts$/);
      expect(e.import, k).toMatch(/^\.\/dist\/.*\.js$/);
      expect(existsSync(join(ROOT, e.types)), `${e.types} (run npm run build)`).toBe(true);
      expect(existsSync(join(ROOT, e.import)), `${e.import} (run npm run build)`).toBe(true);
    }
  });

  it.each(Object.entries(ENTRIES))('%s exports its API', (specifier, names) => {
    const { names: exported } = load(specifier);
    expect(exported).toEqual(expect.arrayContaining(names));
  });

  it('cmek/engine and cmek do not load the resources, the service or the default wiring', () => {
    for (const specifier of ['cmek/engine', 'cmek']) {
      const { loaded } = load(specifier);
      expect(loaded, specifier).toContain('engine/index.js');
      // resources/types.js is the contract every resource type implements (interfaces and the
      // default service principal, no code of any resource type): the engine plans against it.
      expect(
        loaded.filter(
          (m) =>
            /^(resources|service)\/|^engine\/defaults\.js$/.test(m) && m !== 'resources/types.js',
        ),
        specifier,
      ).toEqual([]);
    }
  });

  it('cmek does not load @pulumi/* (optional peers): only cmek/pulumi* do', () => {
    const { urls } = loadEntry('cmek', ROOT, work);
    expect(urls.filter((u) => u.includes('/@pulumi/'))).toEqual([]);
    expect(loadEntry('cmek/pulumi', ROOT, work).urls.some((u) => u.includes('/@pulumi/'))).toBe(
      true,
    );
  });

  it('cmek/pulumi exports the seven classes as functions', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('cmek/pulumi');
console.log(JSON.stringify(${JSON.stringify(ENTRIES['cmek/pulumi'])}.map((n) => typeof m[n])));`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ENTRIES['cmek/pulumi']!.map(() => 'function'));
  });

  it('cmek/defaults is where the resources and the control plane come in', () => {
    const { loaded } = load('cmek/defaults');
    expect(loaded).toContain('resources/index.js');
    expect(loaded.filter((m) => m.startsWith('service/')).length).toBeGreaterThan(0);
    expect(loaded).toContain('resources/kms-key.js');
  });
});
