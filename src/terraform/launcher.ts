// The `terraform-provider-cmek` executable itself: a few lines that load the bundled plugin
// (cmek-provider.cjs, beside it) through a V8 code cache (cmek-provider.v8cache, made at build
// time by scripts/build-provider.ts), so a launch deserializes compiled code instead of parsing
// and compiling 2 MB of JavaScript. When the cache is missing or rejected (another Node or V8
// version, other V8 flags), the bundle is compiled as usual: slower, never wrong. All three
// files sit in one directory, which terraform's `h1:` lock hash covers as a whole
// (docs/terraform-protocol.md, "The executable and its start-up").
//
// It runs as CommonJS (terraform runs it as `terraform-provider-cmek_vX.Y.Z`) or, inside the
// package's dist/, as an ES module: the build gives it a `require` that works in both.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { BUNDLE_FILE, CODE_CACHE_FILE, TRAIN_ENV } from './layout.js';
import { createLogger } from './wire/log.js';

/** What the bundle's entry exports (src/terraform/plugin.ts). */
interface PluginExports {
  /** Settles once the handshake line is printed (or the launch failed). */
  started?: Promise<unknown>;
  /** Loads the provider as the first RPC would (used to train the code cache). */
  warm?: () => Promise<unknown>;
}

function bundleDigest(bundle: Buffer): Buffer {
  return createHash('sha256').update(bundle).digest();
}

function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** The code cache of `bundle` in `cacheFile`, if it is there ('found') and was made from these
 * bytes. V8 checks its version and flags but, of the source, only the length: a cache of another
 * bundle of the same length would run the wrong code, hence the digest in front ('foreign'). */
function cacheFor(
  bundle: Buffer,
  cacheFile: string,
): { state: 'none' | 'foreign' | 'found'; data?: Buffer } {
  let data: Buffer;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return { state: 'none' }; // compile from source
  }
  const digest = bundleDigest(bundle);
  if (data.length <= digest.length || !data.subarray(0, digest.length).equals(digest))
    return { state: 'foreign' };
  return { state: 'found', data: data.subarray(digest.length) };
}

function launch(): void {
  const dir = dirname(realpathSync(process.argv[1]!));
  const file = join(dir, BUNDLE_FILE);
  const bundle = readFileSync(file);
  const train = process.env[TRAIN_ENV];
  const cache = train ? { state: 'none' as const } : cacheFor(bundle, join(dir, CODE_CACHE_FILE));
  const script = new Script(wrap(bundle.toString('utf8')), {
    filename: file,
    cachedData: cache.data,
  });
  // TF_LOG=trace shows whether the cache served (any other case costs the full compile).
  const log = createLogger(process.env);
  if (log.enabled('trace'))
    log.log('trace', 'plugin code cache', {
      code_cache:
        cache.state !== 'found' ? cache.state : script.cachedDataRejected ? 'rejected' : 'accepted',
    });
  const fn = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} as PluginExports };
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dir);
  if (train) {
    void (async () => {
      if ((await mod.exports.started) === undefined) process.exit(1); // it said why on stderr
      await mod.exports.warm?.();
      writeFileSync(train, Buffer.concat([bundleDigest(bundle), script.createCachedData()]));
      process.exit(0);
    })();
  }
}

try {
  launch();
} catch (e) {
  // terraform shows the plugin's stderr: one line saying what is wrong, never a stack.
  const err = e as NodeJS.ErrnoException;
  const what =
    err.code === 'ENOENT' || err.code === 'EACCES'
      ? `cannot read ${err.path ?? BUNDLE_FILE} (${err.code}): reinstall with \`cmek provider install\``
      : err.message;
  process.stderr.write(`terraform-provider-cmek could not start: ${what}\n`);
  process.exitCode = 1;
}
