// Runs every `$ cmek ...` example of docs/cli/kms.md, in order, through the real CLI in an empty
// directory: the page cannot drift from what the binary does.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Split a documented command line into words (double quotes group, as in a shell). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const doc = readFileSync(join(ROOT, 'docs/cli/kms.md'), 'utf8');
const commands = doc
  .split('\n')
  .filter((l) => l.startsWith('$ cmek '))
  .map((l) => words(l.slice('$ cmek '.length)));
const dir = mkdtempSync(join(tmpdir(), 'cmek-kms-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/cli/kms.md examples', () => {
  it('documents every verb', () => {
    const verbs = new Set(commands.map((c) => c[1]));
    for (const v of [
      'create',
      'ls',
      'describe',
      'rotate',
      'disable',
      'enable',
      'schedule-deletion',
      'cancel-deletion',
      'purge',
    ])
      expect(verbs).toContain(v);
  });

  it('runs every example in order with exit code 0', async () => {
    const outputs: string[] = [];
    for (const args of commands) {
      const r = await run(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', `-chdir=${dir}`, ...args],
        {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1' },
        },
      ).catch((e: { code: number; stderr: string }) => {
        throw new Error(`cmek ${args.join(' ')} exited ${e.code}: ${e.stderr}`);
      });
      outputs.push(r.stdout);
    }
    // The last example lists the keys as JSON: the demo key was destroyed, the GCP key remains.
    const keys = JSON.parse(outputs.at(-1)!) as Array<{ key_state: string; provider: string }>;
    expect(keys.map((k) => [k.provider, k.key_state])).toEqual([
      ['aws', 'Destroyed'],
      ['gcp', 'Enabled'],
    ]);
  });
});
