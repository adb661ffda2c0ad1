// Runs every `$ cmek ...` example of docs/cli/kms.md, in order, in an empty directory: the page
// cannot drift from what the CLI does. The examples run in this process through the same path as
// src/cli/main.cts (normalizeArgv + buildProgram + reportError): spawning a process per example
// costs ~2 s each on the shared machine. test/kms/cli.test.ts drives the real binary.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeArgv } from '../../src/cli/argv.js';
import { reportError } from '../../src/cli/output.js';
import { buildProgram } from '../../src/cli/program.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** What src/cli/main.cts does with argv, with stdout/stderr captured. */
async function cmekInProcess(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof out;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof err;
  process.exitCode = undefined;
  let code: number;
  try {
    const args = normalizeArgv(argv).args;
    await (await buildProgram(args)).parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 1) : reportError(e);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}
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
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const args of commands) {
        const r = await cmekInProcess(args);
        if (r.code !== 0) throw new Error(`cmek ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
        outputs.push(r.stdout);
      }
    } finally {
      process.chdir(cwd);
    }
    // The last example lists the keys as JSON: the demo key was destroyed, the GCP key remains.
    const keys = JSON.parse(outputs.at(-1)!) as Array<{ key_state: string; provider: string }>;
    expect(keys.map((k) => [k.provider, k.key_state])).toEqual([
      ['aws', 'Destroyed'],
      ['gcp', 'Enabled'],
    ]);
  });
});

describe('docs/kms.md', () => {
  it('the library example runs as written (against the sources)', async () => {
    const page = readFileSync(join(ROOT, 'docs/kms.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(page)?.[1];
    expect(code).toBeDefined();
    const script = join(dir, 'example.mts');
    writeFileSync(
      script,
      code!.replace("from 'cmek'", `from ${JSON.stringify(join(ROOT, 'src/index.ts'))}`) +
        '\nconsole.log(JSON.stringify({ bytes: dk.plaintext.length, key: dk.keyId }));\n',
    );
    // Run in the temp dir (the example writes .cmek/kms there); tsx is loaded from the repo.
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const r = await run(process.execPath, ['--import', tsx, script], { cwd: dir });
    const out = JSON.parse(r.stdout) as { bytes: number; key: string };
    expect(out.bytes).toBe(32);
    expect(out.key).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);
  });
});
