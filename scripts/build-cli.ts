// `npm run build` step: the CLI program bundled by esbuild into dist/bundle/ (run.js and the
// chunks its verbs load on demand), so a command loads a handful of files instead of the ~260
// ES modules of dist/ (resolving, reading and linking each one was most of a command's start-up:
// docs/architecture.md, "Start-up"). dist/cli/main.cjs, the `cmek` binary, imports
// dist/bundle/run.js when it is there and dist/cli/run.js otherwise (a tsc-only build).
//
// Bundled: our sources and the small pure-JS packages every command loads (commander, zod,
// picocolors, jsonc-parser). Everything else stays an ordinary import of node_modules (the AWS
// SDK, gRPC, pg, embedded PostgreSQL, the HCL WASM parser: loaded by few commands, and some find
// files beside their own modules). Where a source file reads `import.meta.url` to find a file
// relative to itself (the crypto worker, package.json, docs/), the bundle is given the URL that
// file has in dist/, so the same relative paths still resolve.
import { build, type Plugin } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..');
export const CLI_ENTRY = join(ROOT, 'src', 'cli', 'run.ts');
/** Where the bundle goes (run.js and its chunks), relative to the package root. */
export const CLI_BUNDLE_DIR = join('dist', 'bundle');

/** npm packages bundled in; any other package is left as an import. */
const BUNDLED = new Set(['commander', 'zod', 'picocolors', 'jsonc-parser']);

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages outside BUNDLED stay imports (resolved from the bundle's place in the package). */
const externals: Plugin = {
  name: 'cmek-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      return BUNDLED.has(packageName(args.path)) ? undefined : { path: args.path, external: true };
    });
  },
};

/** `import.meta.url` in src/X.ts becomes the URL of dist/X.js, computed from the chunk's own. */
function metaUrl(outdir: string): Plugin {
  return {
    name: 'cmek-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        // The bundle directory sits in dist/, beside the tsc output of src/.
        const inDist = join(dirname(outdir), relative(join(ROOT, 'src'), args.path));
        const rel = relative(outdir, inDist.replace(/\.ts$/, '.js')).split('\\').join('/');
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/** Which source modules each file of the bundle holds (written as CHUNKS_FILE), so the
 * start-up test can still say which modules a command loads. */
export const CHUNKS_FILE = 'chunks.json';

/** Bundle the CLI into `outdir` (a `bundle` directory inside a dist/ built by tsc; default
 * dist/bundle); returns the entry file. */
export async function buildCli(outdir = join(ROOT, CLI_BUNDLE_DIR)): Promise<string> {
  await rm(outdir, { recursive: true, force: true }); // no chunks of an earlier build
  const result = await build({
    metafile: true,
    entryPoints: { run: CLI_ENTRY },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    chunkNames: 'chunk-[hash]',
    // ES module builds where a package has one (jsonc-parser's main is a UMD file that
    // require()s its parts by computed paths, which a bundle cannot follow).
    mainFields: ['module', 'main'],
    plugins: [externals, metaUrl(outdir)],
    // CommonJS packages bundled into ES modules (commander) still call require().
    banner: {
      js: "import { createRequire as __cmekCreateRequire } from 'node:module'; const require = __cmekCreateRequire(import.meta.url);",
    },
  });
  const chunks: Record<string, string[]> = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs))
    chunks[relative(outdir, join(process.cwd(), out))] = Object.keys(meta.inputs).map((i) =>
      relative(ROOT, join(process.cwd(), i)).split('\\').join('/'),
    );
  await writeFile(join(outdir, CHUNKS_FILE), `${JSON.stringify(chunks, null, 1)}\n`);
  return join(outdir, 'run.js');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildCli();
  console.log(`built ${out} (${dirname(out)})`);
}
