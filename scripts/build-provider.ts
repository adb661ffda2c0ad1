// `npm run build` step: the Terraform provider plugin as one directory of three files, with
// everything it runs inside, so terraform's `h1:` lock hash (which covers the directory) covers
// the code and `cmek provider install` copies a fixed set of files:
//   dist/terraform-provider-cmek.js  the executable: a node shebang and a small launcher
//                                    (src/terraform/launcher.ts);
//   dist/cmek-provider.cjs           the plugin bundled by esbuild (the protocol, the provider,
//                                    grpc-js, protobufjs, msgpack, x509);
//   dist/cmek-provider.v8cache       V8's code cache of that bundle, made by launching the
//                                    plugin once as terraform would (the handshake, then the
//                                    provider's schemas) and saving the compiled code.
// The .proto files are compiled here into a JSON descriptor embedded in the bundle
// (src/terraform/wire/proto.ts says why). Tests call `buildProvider` with their own entry to
// bundle a test provider the same way (without a code cache: it is optional).
// docs/terraform-protocol.md, "The executable and its start-up", has the measurements.
import { build, type BuildOptions } from 'esbuild';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_FILE, CODE_CACHE_FILE, TRAIN_ENV } from '../src/terraform/layout.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../src/terraform/wire/handshake.js';
import { compileDescriptor } from '../src/terraform/wire/proto.js';
import { createServerCert } from '../src/terraform/wire/tls.js';

export const ROOT = join(import.meta.dirname, '..');
export const PROVIDER_ENTRY = join(ROOT, 'src', 'terraform', 'plugin.ts');
export const LAUNCHER_ENTRY = join(ROOT, 'src', 'terraform', 'launcher.ts');
export const PROVIDER_OUT = join(ROOT, 'dist', 'terraform-provider-cmek.js');

// Scripts, not ES modules: terraform runs the plugin as `terraform-provider-cmek_v0.1.0`, whose
// ".0" extension Node only loads as CommonJS, while dist/terraform-provider-cmek.js sits in an
// ESM package ("type": "module"). The banner's `require` works in both: CommonJS's own, else
// the built-in module getter (Node ≥ 20.16).
const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const REQUIRE_SHIM =
  "var require = typeof require === 'function' ? require : (id) => process.getBuiltinModule(id);";

export interface BuildProviderOptions {
  /** Make the V8 code cache (default: for the real plugin entry only). */
  codeCache?: boolean;
}

/** Build the executable `outfile` and its companions beside it; returns `outfile`. */
export async function buildProvider(
  entry = PROVIDER_ENTRY,
  outfile = PROVIDER_OUT,
  opts: BuildProviderOptions = {},
): Promise<string> {
  const dir = dirname(outfile);
  const bundle = join(dir, BUNDLE_FILE);
  const cache = join(dir, CODE_CACHE_FILE);
  // A stale cache of an earlier bundle would only be rejected, but do not ship one.
  rmSync(cache, { force: true });
  await build({
    ...COMMON,
    entryPoints: [entry],
    outfile: bundle,
    // import.meta is read only when run from source (proto.ts parses the .proto files there).
    logOverride: { 'empty-import-meta': 'silent' },
    define: { __CMEK_PROTO_DESCRIPTOR__: JSON.stringify(compileDescriptor(join(ROOT, 'proto'))) },
    banner: { js: REQUIRE_SHIM },
  });
  await build({
    ...COMMON,
    entryPoints: [LAUNCHER_ENTRY],
    outfile,
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
  });
  chmodSync(outfile, 0o755);
  if (opts.codeCache ?? entry === PROVIDER_ENTRY) await trainCodeCache(outfile, cache);
  return outfile;
}

/** The environment terraform launches a plugin with: the magic cookie, protocol 6 and a
 * client certificate for mutual TLS (a fresh one), plus PATH. The build, the start-up bench and
 * the launcher test launch the plugin this way. */
export async function terraformLaunchEnv(): Promise<NodeJS.ProcessEnv> {
  const client = await createServerCert();
  return {
    PATH: process.env.PATH ?? '',
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '6',
    PLUGIN_CLIENT_CERT: client.certPem,
  };
}

/** Launch the executable once as terraform does in training mode: it serves, loads the
 * provider and its schemas, writes the code cache of everything compiled so far to `cache`,
 * and exits. */
async function trainCodeCache(exe: string, cache: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...(await terraformLaunchEnv()), [TRAIN_ENV]: cache };
  const child = spawn(process.execPath, [exe], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`making the provider's code cache failed (exit ${code}):\n${stderr}`);
  readFileSync(cache); // it must exist
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildProvider();
  console.log(`built ${out}`);
}
