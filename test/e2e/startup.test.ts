// Start-up (docs/architecture.md, "Start-up"): each command loads only what it needs. The real
// binary runs with test/support/record-loads.mjs preloaded, which lists every ES module loaded.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, ROOT, tempDir } from './harness.js';

const HOOK = pathToFileURL(join(ROOT, 'test', 'support', 'record-loads.mjs')).href;

beforeAll(() => {
  cliBin();
}, 300_000);

/** The modules `cmek ...args` loads, as paths under dist/ or node_modules/. */
function loads(args: string[]): { code: number | null; out: string; modules: string[] } {
  const cwd = tempDir();
  const log = join(cwd, 'loads.txt');
  const r = spawnSync(process.execPath, ['--import', HOOK, cliBin(), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CMEK_LOAD_LOG: log, NO_COLOR: '1' },
  });
  const modules = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((u) => u.replace(/^.*?\/(dist|node_modules)\//, '$1/'));
  return { code: r.status, out: r.stdout + r.stderr, modules };
}

const HEAVY = ['@aws-sdk/', '@cdktf/hcl2json', 'zod/', 'dist/engine/plan', 'dist/kms/server/'];

describe('what each command loads', () => {
  it('--version loads no verb, no engine and no heavy package', () => {
    const r = loads(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.modules.filter((m) => m.includes('/cli/commands/'))).toEqual([]);
    expect(r.modules.filter((m) => HEAVY.some((h) => m.includes(h)))).toEqual([]);
  });

  it('kms ls loads its own verb, not the engine, the HCL parser, the wire server or the SDK', () => {
    const r = loads(['kms', 'ls']);
    expect(r.code).toBe(0);
    const verbs = r.modules.filter((m) => m.includes('/cli/commands/'));
    expect(verbs).toContain('dist/cli/commands/kms.js');
    expect(verbs).not.toContain('dist/cli/commands/plan.js');
    const heavy = HEAVY.filter((h) => h !== 'zod/');
    expect(r.modules.filter((m) => heavy.some((h) => m.includes(h)))).toEqual([]);
    expect(r.modules).not.toContain('dist/engine/config/load.js');
    expect(r.modules).not.toContain('dist/engine/config/syntax.js');
  });

  it('an unknown verb still gets its suggestion (every verb is loaded for it)', () => {
    const r = loads(['plna']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Did you mean "plan"?');
    expect(r.modules).toContain('dist/cli/commands/plan.js');
  });
});
