// The provider plugin's launcher and code cache (src/terraform/launcher.ts, built by
// scripts/build-provider.ts): the real build into a temp directory, launched as terraform
// launches it (magic cookie, protocol 6, a client certificate) under the name terraform gives
// it, to its handshake line. The cache serves when it belongs to the bundle; a missing, foreign
// or damaged cache only costs the compile, never the launch.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProvider, terraformLaunchEnv } from '../../scripts/build-provider.js';
import { BUNDLE_FILE, CODE_CACHE_FILE } from '../../src/terraform/layout.js';

const EXE = 'terraform-provider-cmek_v0.1.0';
let built: string;
let launchEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  built = mkdtempSync(join(tmpdir(), 'cmek-launcher-'));
  await buildProvider(undefined, join(built, 'terraform-provider-cmek.js'));
  launchEnv = await terraformLaunchEnv();
}, 600_000);

/** A plugin directory as `cmek provider install` makes it, with `cache` as the code cache. */
function pluginDir(cache: Buffer | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-launcher-dir-'));
  copyFileSync(join(built, 'terraform-provider-cmek.js'), join(dir, EXE));
  copyFileSync(join(built, BUNDLE_FILE), join(dir, BUNDLE_FILE));
  if (cache) writeFileSync(join(dir, CODE_CACHE_FILE), cache);
  return dir;
}

/** Launch `dir`'s executable with TF_LOG=trace; resolves with the handshake line and the code
 * cache state the launcher logged, then kills the plugin. */
function launch(dir: string): Promise<{ line: string; cache: string | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(dir, EXE), [], {
      env: { ...launchEnv, TF_LOG: 'trace' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      child.kill('SIGKILL');
      const entry = err
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((e) => e['@message'] === 'plugin code cache');
      resolve({ line: out, cache: entry?.code_cache as string | undefined });
    });
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`the plugin exited (${code}):\n${err}`));
    });
  });
}

const HANDSHAKE = /^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|[A-Za-z0-9+/]+\n$/;

describe('the provider launcher and its code cache', () => {
  it('the build ships a cache made for its bundle, and a launch uses it', async () => {
    const cache = readFileSync(join(built, CODE_CACHE_FILE));
    expect(cache.length).toBeGreaterThan(100_000);
    const r = await launch(pluginDir(cache));
    expect(r.line).toMatch(HANDSHAKE);
    expect(r.cache).toBe('accepted');
  }, 120_000);

  it('without a cache, the bundle is compiled and the handshake is the same', async () => {
    const r = await launch(pluginDir(undefined));
    expect(r.line).toMatch(HANDSHAKE);
    expect(r.cache).toBe('none');
  }, 120_000);

  it('a cache of another bundle (digest mismatch) is not used, even at the same length', async () => {
    const cache = readFileSync(join(built, CODE_CACHE_FILE));
    const foreign = Buffer.from(cache);
    foreign[0] = foreign[0]! ^ 0xff; // the bundle's digest no longer matches
    const r = await launch(pluginDir(foreign));
    expect(r.line).toMatch(HANDSHAKE);
    expect(r.cache).toBe('foreign');
  }, 120_000);

  it('a damaged cache (truncated) is rejected by V8 and the plugin still starts', async () => {
    const cache = readFileSync(join(built, CODE_CACHE_FILE));
    const r = await launch(pluginDir(cache.subarray(0, Math.floor(cache.length / 2))));
    expect(r.line).toMatch(HANDSHAKE);
    expect(r.cache).toBe('rejected');
  }, 120_000);

  it('companion names never start with terraform-provider- (terraform would run them)', () => {
    for (const f of [BUNDLE_FILE, CODE_CACHE_FILE])
      expect(f.startsWith('terraform-provider-')).toBe(false);
  });
});
