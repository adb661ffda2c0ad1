// The README's tour runs as written: every `$ npx cmek ...` line of its first ```console block
// is run through the real binary in a copy of examples/quickstart, must exit 0, and must print
// each following line as a substring. `$ cd` lines choose the directory (the copy).
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cmek, ROOT, tempDir } from './harness.js';

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
    const steps = tourSteps(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(steps.length).toBeGreaterThan(5);
    const dir = tempDir();
    cpSync(join(ROOT, 'examples/quickstart'), dir, { recursive: true });
    for (const step of steps) {
      const r = cmek(dir, step.args);
      const shown = `cmek ${step.args.join(' ')}\n${r.stdout}\n${r.stderr}`;
      expect(r.code, shown).toBe(0);
      for (const want of step.expect) expect(r.stdout + r.stderr, shown).toContain(want);
    }
  });
});
