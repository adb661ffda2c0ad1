// docs/contract.md and docs/architecture.md describe what exists: every diagnostic code,
// resource type, CLI verb, package entry point and bench figure is listed in the contract,
// every source path the architecture page names exists, and its HCL example validates.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { validate } from '../src/engine/index.js';
import { DIAGNOSTIC_CODES } from '../src/model/diagnostics.js';
import { RESOURCE_TYPES } from '../src/resources/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contract = readFileSync(join(ROOT, 'docs/contract.md'), 'utf8');
const architecture = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

describe('docs/contract.md', () => {
  it('lists every diagnostic code', () => {
    expect(DIAGNOSTIC_CODES.filter((c) => !contract.includes(`\`${c}\``))).toEqual([]);
  });

  it('links every resource type to its page', () => {
    const missing = Object.keys(RESOURCE_TYPES).filter(
      (t) => !contract.includes(`[\`${t}\`](resources/${t}.md)`),
    );
    expect(missing).toEqual([]);
  });

  it('lists every CLI verb and subcommand', async () => {
    const verbs = (await buildProgram()).commands.flatMap((c) => [
      c.name(),
      ...c.commands.map((s) => `${c.name()} ${s.name()}`),
    ]);
    expect(verbs.length).toBeGreaterThan(10);
    expect(verbs.filter((v) => !contract.includes(`\`${v}\``))).toEqual([]);
  });

  it('lists every entry point of package.json exports', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const entries = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? 'cmek' : `cmek/${k.slice(2)}`));
    expect(entries.filter((e) => !contract.includes(`| \`${e}\` |`))).toEqual([]);
  });

  it('lists every figure npm run bench prints', () => {
    const names = readdirSync(join(ROOT, 'bench'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [
          ...readFileSync(join(ROOT, 'bench', f), 'utf8').matchAll(/result\(\s*'([a-z0-9_]+)'/g),
        ].map((m) => m[1]!),
      );
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(names.filter((n) => !contract.includes(`\`${n}\``))).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('names only source files and folders that exist', () => {
    const paths = [
      ...new Set([...architecture.matchAll(/`((?:src|test|bench)\/[\w./-]+)`/g)].map((m) => m[1]!)),
    ];
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('its cmek_kms_key example validates', async () => {
    const hcl = /```hcl\n([\s\S]*?)```/.exec(architecture)?.[1];
    expect(hcl).toContain('resource "cmek_kms_key"');
    const dir = mkdtempSync(join(tmpdir(), 'cmek-arch-'));
    try {
      writeFileSync(join(dir, 'main.tf'), hcl!);
      const r = await validate({ dir });
      expect(r.diagnostics).toEqual([]);
      expect(r.valid).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
