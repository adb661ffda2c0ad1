// Start-up (docs/architecture.md, "Start-up"): each command loads only what it needs. The real
// binary runs with test/support/record-loads.mjs preloaded, which lists every ES module loaded.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, ROOT, tempDir } from './harness.js';

const HOOK = pathToFileURL(join(ROOT, 'test', 'support', 'record-loads.mjs')).href;

beforeAll(() => {
  cliBin();
}, 300_000);

/** The source modules in each file of the bundled CLI (dist/bundle/chunks.json, written by
 * scripts/build-cli.ts), as the paths they have in an unbundled dist/ or node_modules/. */
function bundleContents(): Map<string, string[]> {
  const chunks = JSON.parse(
    readFileSync(join(dirname(dirname(cliBin())), 'bundle', 'chunks.json'), 'utf8'),
  ) as Record<string, string[]>;
  return new Map(
    Object.entries(chunks).map(([file, inputs]) => [
      `dist/bundle/${file}`,
      inputs.map((i) =>
        i.startsWith('src/')
          ? i.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')
          : i.replace(/^.*?node_modules\//, 'node_modules/'),
      ),
    ]),
  );
}

/** The modules `cmek ...args` loads, as paths under dist/ or node_modules/: a file of the
 * bundle counts as the modules inside it. */
function loads(args: string[]): {
  code: number | null;
  out: string;
  modules: string[];
  files: string[];
} {
  const cwd = tempDir();
  const log = join(cwd, 'loads.txt');
  const r = spawnSync(process.execPath, ['--import', HOOK, cliBin(), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CMEK_LOAD_LOG: log, NO_COLOR: '1' },
  });
  const bundle = bundleContents();
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((u) => u.replace(/^.*?\/(dist|node_modules)\//, '$1/'));
  const modules = files.flatMap((m) => bundle.get(m) ?? [m]);
  return { code: r.status, out: r.stdout + r.stderr, modules, files };
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

  it('--version loads the entry alone, nothing else of cmek', () => {
    for (const flag of ['--version', '-version', '-v']) {
      const r = loads([flag]);
      expect(r.code).toBe(0);
      expect(r.files.filter((m) => !m.startsWith('node:'))).toEqual(['dist/cli/main.cjs']);
    }
  });

  it('a verb runs from the bundled program (dist/bundle), not module by module', () => {
    const r = loads(['kms', 'ls']);
    expect(r.code).toBe(0);
    expect(r.files).toContain('dist/bundle/run.js');
    expect(r.files).not.toContain('dist/cli/run.js');
    expect(r.files.filter((m) => m.startsWith('dist/') && !m.startsWith('dist/bundle/'))).toEqual([
      'dist/cli/main.cjs',
    ]);
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

describe('a damaged install', () => {
  it('a program that cannot load is a coded diagnostic, not a stack trace', () => {
    // A copy of the built package whose bundled program throws as it loads.
    const pkg = tempDir();
    cpSync(dirname(dirname(cliBin())), join(pkg, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    writeFileSync(join(pkg, 'dist', 'bundle', 'run.js'), "throw new Error('damaged');\n");
    const bin = join(pkg, 'dist', 'cli', 'main.cjs');
    const r = spawnSync(process.execPath, [bin, 'kms', 'ls'], { cwd: pkg, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/INTERNAL/);
    expect(r.stderr).toContain('damaged');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // --version does not need the program.
    const v = spawnSync(process.execPath, [bin, '--version'], { cwd: pkg, encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    );
  });
});
