// Drives the REAL `cmek` binary: the sources are compiled once (tsconfig.build.json, as
// `npm run build` does) into a temp package that links this repo's node_modules, cached by a
// hash of src/, so e2e tests spawn `node .../dist/cli/main.cjs` (≈0.5 s a call) instead of a
// TypeScript loader (≈2 s). CMEK_E2E_BIN=path/to/main.cjs uses an existing build instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function hashTree(dir: string, h = createHash('sha256')): ReturnType<typeof createHash> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(p, h);
    else {
      h.update(p);
      h.update(readFileSync(p));
    }
  }
  return h;
}

let cached: string | undefined;

/** Path of a built `dist/cli/main.cjs` for the current sources. */
export function cliBin(): string {
  if (process.env.CMEK_E2E_BIN) return resolve(process.env.CMEK_E2E_BIN);
  if (cached) return cached;
  const h = hashTree(join(ROOT, 'src'));
  h.update(readFileSync(join(ROOT, 'package.json')));
  // The build scripts shape the bundles in dist/ too.
  for (const s of ['build-provider.ts', 'build-cli.ts'])
    h.update(readFileSync(join(ROOT, 'scripts', s)));
  const key = h.digest('hex').slice(0, 16);
  const final = join(tmpdir(), `cmek-e2e-${key}`);
  const bin = join(final, 'dist', 'cli', 'main.cjs');
  if (!existsSync(bin)) {
    const work = `${final}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    // main.cjs reads ../../package.json for --version, and imports packages from node_modules.
    cpSync(join(ROOT, 'package.json'), join(work, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        join(work, 'dist'),
        '--declaration',
        'false',
        '--sourceMap',
        'false',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    // tsc emits even with type errors (in files being written by others right now); only a
    // missing entry point is fatal.
    if (!existsSync(join(work, 'dist', 'cli', 'main.cjs'))) {
      throw new Error(`building the CLI failed:\n${tsc.stdout}\n${tsc.stderr}`);
    }
    // The bundled Terraform provider plugin (`cmek provider install` copies it from beside
    // dist/cli) and the bundled CLI program (dist/bundle, which main.cjs runs when present), as
    // `npm run build` makes them (scripts/build-provider.ts, scripts/build-cli.ts): the tests
    // drive what users run. One process builds both.
    const bundles = spawnSync(
      join(ROOT, 'node_modules/.bin/tsx'),
      [
        '-e',
        `Promise.all([import(${JSON.stringify(join(ROOT, 'scripts/build-provider.ts'))}).then((m) => m.buildProvider(undefined, ${JSON.stringify(join(work, 'dist', 'terraform-provider-cmek.js'))})), import(${JSON.stringify(join(ROOT, 'scripts/build-cli.ts'))}).then((m) => m.buildCli(${JSON.stringify(join(work, 'dist', 'bundle'))}))])`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    for (const f of ['terraform-provider-cmek.js', 'bundle/run.js']) {
      if (!existsSync(join(work, 'dist', f))) {
        throw new Error(`bundling dist/${f} failed:\n${bundles.stdout}\n${bundles.stderr}`);
      }
    }
    try {
      renameSync(work, final);
    } catch {
      // Another test file built the same sources first: use theirs.
      rmSync(work, { recursive: true, force: true });
    }
  }
  cached = bin;
  return bin;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmek ARGS` in `cwd` (no TTY: stdin is closed unless `input` is given). */
export function cmek(
  cwd: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): RunResult {
  const r = spawnSync(process.execPath, [cliBin(), ...args], {
    cwd,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `cmek ARGS` without blocking this process (for concurrent runs): resolves when it exits. */
export function cmekAsync(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cliBin(), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Start `cmek ARGS` without waiting (for kill -9 and concurrency tests). */
export function cmekSpawn(cwd: string, args: string[]) {
  return spawn(process.execPath, [cliBin(), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A running `cmek server --listen 127.0.0.1:0` (its output so far, and the URL it printed). */
export interface CmekServer {
  proc: ChildProcess;
  url: string;
  /** Its working directory (the control plane's data directory is `.cmek/` there). */
  dir: string;
  out(): string;
  err(): string;
}

/** Start `cmek server --listen 127.0.0.1:0 --credentials` with examples/team's credentials file
 * (docs/team.md) in a temp directory; resolves once it prints "listening on URL". */
export async function startCmekServer(): Promise<CmekServer> {
  const dir = tempDir();
  cpSync(join(ROOT, 'examples/team/team-credentials.json'), join(dir, 'creds.json'));
  const proc = spawn(
    process.execPath,
    [cliBin(), 'server', '--listen', '127.0.0.1:0', '--credentials', 'creds.json'],
    { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "listening on": ${out}${err}`)), 60_000);
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
  return { proc, url, dir, out: () => out, err: () => err };
}

export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-e2e-'));
  for (const [name, text] of Object.entries(files)) {
    // LANGFIN: a name may hold folders (`modules/kms/main.tf`): they are made.
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cmek-e2e-${name}-`));
  for (const f of readdirSync(join(ROOT, 'examples', name))) {
    if (f.endsWith('.tf') || f.endsWith('.tf.json'))
      cpSync(join(ROOT, 'examples', name, f), join(dir, f));
  }
  // MODULES: an example's local modules (examples/modules/modules/*) come along.
  const modules = join(ROOT, 'examples', name, 'modules');
  if (existsSync(modules)) cpSync(modules, join(dir, 'modules'), { recursive: true });
  return dir;
}

/** Strings that look like raw key material: 32+ bytes as base64 or hex. Plans and state must
 * hold none (ARNs, uuids and ids are shorter or dashed). The one long hex string a plan has on
 * purpose, `configDigest` (sha256 of the .tf files, for the staleness check), is skipped. */
export function keyMaterialLike(text: string): string[] {
  const scan = text.replace(/"configDigest":\s*"[0-9a-f]{64}"/g, '"configDigest": "(sha256)"');
  return [
    ...scan.matchAll(
      /(?<![A-Za-z0-9+/=_-])([A-Za-z0-9+/]{43,}={0,2}|[0-9a-fA-F]{64,})(?![A-Za-z0-9+/=_-])/g,
    ),
  ].map((m) => m[1]!);
}
