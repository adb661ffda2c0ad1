// Regenerates test/fixtures/tf-functions/expected.json: every expression of corpus.txt evaluated
// by the real terraform (`terraform console`, offline, one expression per run because a piped
// console stops at the first error), recorded as its JSON value and type, or its error.
// Usage: `npx tsx scripts/gen-tf-functions-fixture.ts [--all] [path/to/terraform]`: without
// --all, expressions already recorded keep their result and only new ones are evaluated.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = fileURLToPath(
  new URL('../test/fixtures/tf-functions/', import.meta.url),
);
export const DEFAULT_TERRAFORM = '/usr/local/bin/terraform';

/** What terraform said about one expression. */
export type TerraformResult =
  | { expr: string; ok: true; json: string; type: string }
  /** Terraform printed no value: the result is unknown at this point (`(known after apply)`). */
  | { expr: string; ok: true; unknown: true }
  | { expr: string; ok: false; error: string };

/** The expressions of corpus.txt, in order (comments and blank lines left out). */
export function readCorpus(): string[] {
  return readFileSync(join(FIXTURE_DIR, 'corpus.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

function consoleLine(terraform: string, line: string, dataDir: string) {
  const r = spawnSync(terraform, ['console', '-no-color'], {
    cwd: FIXTURE_DIR,
    input: `${line}\n`,
    encoding: 'utf8',
    env: {
      ...process.env,
      TF_CLI_CONFIG_FILE: '/dev/null',
      TF_DATA_DIR: dataDir,
      TF_IN_AUTOMATION: '1',
    },
    timeout: 60_000,
  });
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** The error's summary and detail, on one line. */
function errorText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('Error: '));
  if (at < 0) return stderr;
  const detail = lines
    .slice(at + 1)
    .filter((l) => l && !l.startsWith('on <console-input>') && l !== '(source code not available)');
  return [lines[at]!.slice('Error: '.length), ...detail].join(' ');
}

/** Evaluate one expression with terraform: its JSON (jsonencode) and its type (type()). */
export function evaluateWithTerraform(terraform: string, expr: string): TerraformResult {
  const dataDir = mkdtempSync(join(tmpdir(), 'cmek-tf-fn-'));
  try {
    const v = consoleLine(terraform, `base64encode(jsonencode(${expr}))`, dataDir);
    if (!v.ok) return { expr, ok: false, error: errorText(v.err) };
    if (!v.out.startsWith('"')) return { expr, ok: true, unknown: true };
    const json = Buffer.from(JSON.parse(v.out) as string, 'base64').toString('utf8');
    const t = consoleLine(terraform, `type(${expr})`, dataDir);
    if (!t.ok) return { expr, ok: false, error: errorText(t.err) };
    return { expr, ok: true, json, type: t.out.replace(/\s+/g, ' ').replace(/, \)/g, ')') };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function terraformVersion(terraform: string): string {
  const r = spawnSync(terraform, ['version', '-json'], { encoding: 'utf8' });
  return (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const all = process.argv.includes('--all');
  const terraform = process.argv.slice(2).find((a) => a !== '--all') ?? DEFAULT_TERRAFORM;
  if (!existsSync(terraform)) {
    console.error(`terraform not found at ${terraform}`);
    process.exit(1);
  }
  const file = join(FIXTURE_DIR, 'expected.json');
  const known = new Map<string, TerraformResult>();
  if (!all && existsSync(file))
    for (const c of (JSON.parse(readFileSync(file, 'utf8')) as { cases: TerraformResult[] }).cases)
      known.set(c.expr, c);
  const cases = readCorpus().map((e) => known.get(e) ?? evaluateWithTerraform(terraform, e));
  const out = { terraform: terraformVersion(terraform), cases };
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${cases.length} cases (${cases.filter((c) => !c.ok).length} errors)`);
}
