// The files of an installed `terraform-provider-cmek`, one directory: the executable (a small
// launcher, src/terraform/launcher.ts), the bundled plugin it runs, and the V8 code cache of
// that bundle. Shared by the build (scripts/build-provider.ts), the launcher and
// `cmek provider install`, which copies all of them; terraform's `h1:` lock hash covers the
// whole directory. The companions' names must not start with `terraform-provider-`: terraform
// takes the first file with that prefix as the plugin executable.

/** The bundled plugin (CommonJS). */
export const BUNDLE_FILE = 'cmek-provider.cjs';
/** The V8 code cache of BUNDLE_FILE, made at build time; optional. */
export const CODE_CACHE_FILE = 'cmek-provider.v8cache';
/** The companion files, in the order they are installed (the executable comes last). */
export const COMPANION_FILES: readonly string[] = [BUNDLE_FILE, CODE_CACHE_FILE];
/** Set by the build only: the launcher runs the plugin, exercises it, writes the code cache to
 * this path and exits. */
export const TRAIN_ENV = 'CMEK_PROVIDER_TRAIN_CACHE';
