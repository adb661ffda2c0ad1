// Every verb, run through the real binary with a missing file and with a directory where a file
// is expected (and a file where a directory is expected): the user gets a coded diagnostic
// naming the path, exit status 1, and never a stack trace. The verbs and their file-taking
// arguments and options are read from the commander program, so a new verb is covered here
// without editing this file.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argument, Command, Option } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { cliBin, copyExample } from './harness.js';

/** The full program: every verb (the binary loads only the one it runs). */
const PROGRAM = await buildProgram();

interface Case {
  name: string;
  args: string[];
  /** The path the diagnostic must name. */
  path: string;
}

function leaves(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  const own = (cmd as unknown as { _actionHandler?: unknown })._actionHandler
    ? [{ path, cmd }]
    : [];
  return [...own, ...cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]))];
}

const isFileArg = (a: Argument) => /file|plan/i.test(a.name());
// `policy check PATH...` reads its operands: give it one that exists (the example) so its
// flags are what is tested.
const placeholder = (a: Argument) =>
  a.name() === 'id' ? '0000' : a.name() === 'path' ? '.' : 'nosuch';
/** Values for options a verb requires (commander's `requiredOption`). */
const REQUIRED: Record<string, string> = { '--region': 'us-east-1' };

function cases(dir: string): Case[] {
  const missing = join(dir, 'missing', 'nowhere.txt');
  const missingDir = join(dir, 'missing-dir');
  const aDir = join(dir, 'a-directory');
  const aFile = join(dir, 'a-file.txt');
  const out: Case[] = [];
  for (const { path, cmd } of leaves(PROGRAM)) {
    const verb = path.join(' ');
    const args = cmd.registeredArguments;
    // Positional arguments: placeholders, except the file-taking one under test; a required
    // file argument not under test gets a real file, so the case reaches the path under test.
    // Options the verb requires get a value.
    const required = (cmd.options as Option[])
      .filter((o) => o.mandatory)
      .map((o) => `${o.long}=${REQUIRED[o.long!] ?? 'nosuch'}`);
    const positional = (fileValue?: string) => [
      ...args
        .filter((a) => a.required || (fileValue && isFileArg(a)))
        .map((a) => (isFileArg(a) ? (fileValue ?? aFile) : placeholder(a))),
      ...required,
    ];
    out.push({
      name: `-chdir to a missing directory: ${verb}`,
      args: [`-chdir=${missingDir}`, ...path, ...positional(aFile)],
      path: missingDir,
    });
    out.push({
      name: `-chdir to a file: ${verb}`,
      args: [`-chdir=${aFile}`, ...path, ...positional(aFile)],
      path: aFile,
    });
    if (args.some(isFileArg)) {
      out.push({
        name: `${verb} with a missing file`,
        args: [...path, ...positional(missing)],
        path: missing,
      });
      out.push({
        name: `${verb} with a directory for a file`,
        args: [...path, ...positional(aDir)],
        path: aDir,
      });
    }
    for (const o of cmd.options as Option[]) {
      const flag = o.long ?? o.short!;
      if (/<(file)>/.test(o.flags)) {
        out.push({
          name: `${verb} ${flag} with a missing file`,
          args: [...path, ...positional(), `${flag}=${missing}`],
          path: missing,
        });
        out.push({
          name: `${verb} ${flag} with a directory`,
          args: [...path, ...positional(), `${flag}=${aDir}`],
          path: aDir,
        });
      } else if (/<dir>/.test(o.flags)) {
        out.push({
          name: `${verb} ${flag} with a file`,
          args: [...path, ...positional(), `${flag}=${aFile}`],
          path: aFile,
        });
      }
    }
  }
  return out;
}

function run(cwd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cliBin(), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CMEK_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    // A verb that starts serving instead of failing would hang: kill it and fail the case.
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('every verb with a missing file, a directory for a file, a file for a directory', () => {
  const dir = copyExample('quickstart');
  mkdirSync(join(dir, 'a-directory'));
  writeFileSync(join(dir, 'a-file.txt'), 'not a directory\n');
  const all = cases(dir);
  const results = new Map<string, Promise<{ code: number | null; out: string }>>();

  beforeAll(async () => {
    cliBin();
    // Two at a time: the machine is shared. Each worker runs in its own copy of the example,
    // so two verbs that take the state lock never meet (the probed paths stay those of `dir`).
    const queue = [...all];
    const worker = async (cwd: string) => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const r = run(cwd, c.args);
        results.set(c.name, r);
        await r;
      }
    };
    await Promise.all([worker(dir), worker(copyExample('quickstart'))]);
  }, 600_000);

  it('covers the verbs that take files', () => {
    const names = all.map((c) => c.name);
    for (const n of [
      'data put with a missing file',
      'apply with a directory for a file',
      'show with a missing file',
      'plan --out with a directory',
      'plan --var-file with a missing file',
      'data get --output with a directory',
      'kms serve --credentials with a missing file',
      'kms create --policy-file with a directory',
      'server --data-dir with a file',
    ]) {
      expect(names).toContain(n);
    }
    expect(names.filter((n) => n.startsWith('-chdir to a file')).length).toBeGreaterThan(25);
  });

  for (const c of all) {
    it(c.name, async () => {
      const r = await results.get(c.name)!;
      const shown = `cmek ${c.args.join(' ')}\n${r.out}`;
      expect(r.out, shown).not.toMatch(/^\s+at /m);
      expect(r.out, shown).toMatch(/Error: [A-Z][A-Z_]+: /);
      // Relative or absolute, the diagnostic names the file.
      expect(r.out, shown).toContain(basename(c.path));
      // `policy check` exits 2 when an input, its configuration or its report file cannot be
      // used (1 means an error-level finding: docs/cli/policy.md).
      expect(r.code, shown).toBe(c.args[0] === 'policy' ? 2 : 1);
    });
  }
});
