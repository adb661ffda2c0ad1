// The README's tour runs as written: every `$ npx cmek ...` line of its first ```console block
// is run through the real binary in a copy of examples/quickstart, must exit 0, and must print
// each following line as a substring. `$ cd` lines choose the directory (the copy).
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, cmek, ROOT, tempDir } from './harness.js';

beforeAll(() => {
  cliBin();
}, 300_000); // the first file to run builds the CLI and its bundles (test/e2e/harness.ts)

interface Step {
  args: string[];
  expect: string[];
}

function tourSteps(readme: string): Step[] {
  const block = /```console\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no console block');
  const steps: Step[] = [];
  for (const line of block[1]!.split('\n')) {
    if (!line.trim() || line.startsWith('$ cd ')) continue;
    const m = /^\$ npx cmek (.*?)(?:\s+#.*)?$/.exec(line);
    if (m) steps.push({ args: m[1]!.trim().split(/\s+/), expect: [] });
    else steps.at(-1)?.expect.push(line.trim());
  }
  return steps;
}

describe('README tour', () => {
  it('runs every command as written and prints what the README shows', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const steps = tourSteps(readme);
    expect(steps.length).toBeGreaterThan(5);
    const dir = tempDir();
    cpSync(join(ROOT, 'examples/quickstart'), dir, { recursive: true });
    // The tour starts where the README's first command leaves off: the quickstart applied.
    const first = /npx cmek -chdir=examples\/quickstart (.*?)\s+#/.exec(readme)?.[1];
    expect(first, 'the first README command').toBe('apply -auto-approve');
    const setup = cmek(dir, first!.split(' '));
    expect(setup.code, setup.stderr).toBe(0);
    for (const step of steps) {
      const r = cmek(dir, step.args);
      const shown = `cmek ${step.args.join(' ')}\n${r.stdout}\n${r.stderr}`;
      expect(r.code, shown).toBe(0);
      for (const want of step.expect) expect(r.stdout + r.stderr, shown).toContain(want);
    }
  });

  it('`npm install -g .` gives a cmek command that works outside the repository', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('`npm install -g .`');
    // A private global prefix: the same install, without touching the machine's.
    const prefix = tempDir();
    const npm = spawnSync('npm', ['install', '-g', '--prefix', prefix, '.'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(npm.status, npm.stderr).toBe(0);
    const away = tempDir();
    cpSync(join(ROOT, 'examples/quickstart/main.tf'), join(away, 'main.tf'));
    const r = spawnSync(join(prefix, 'bin', 'cmek'), ['validate'], {
      cwd: away,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('The configuration is valid');
  }, 180_000);
});
