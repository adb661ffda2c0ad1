#!/usr/bin/env node
// Entry point of the `cmek` binary, a CommonJS file: Node starts a CommonJS entry without
// setting up its ES module loader, which `cmek --version` (also `-version`, `-v`) then never
// pays. --version is answered here from package.json; everything else imports the program
// (src/cli/run.ts) and only the verb it runs (src/cli/program.ts): from the bundle `npm run
// build` makes (dist/bundle/run.js, scripts/build-cli.ts) when it is there, else module by
// module (a tsc-only build, or the sources). docs/architecture.md, "Start-up", has the
// measurements.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file by design (above) */
import fs = require('node:fs');
import path = require('node:path');
import url = require('node:url');

/** The bundled program, from dist/cli/main.cjs (absent when run from src/ or a tsc-only build). */
const BUNDLE = path.join(__dirname, '..', 'bundle', 'run.js');
/** The spellings of the version flag when it is the only argument, as commander prints it. */
const VERSION_FLAGS = new Set(['--version', '-version', '-v']);

const argv = process.argv.slice(2);
if (argv.length === 1 && VERSION_FLAGS.has(argv[0]!)) {
  // A closed stdout (`cmek --version | true`) ends quietly, as everywhere else.
  process.stdout.on('error', (e) => {
    void import('./output.js').then((o) => process.exit(o.reportError(e)));
  });
  // The package version, as src/engine/version.ts reads it for the program (both files sit two
  // levels below package.json, in src/ and in dist/).
  const pkg = require('../../package.json') as { version?: string };
  process.stdout.write(`${pkg.version ?? '0.0.0'}\n`);
} else {
  void (async () => {
    const run = (
      fs.existsSync(BUNDLE)
        ? await import(url.pathToFileURL(BUNDLE).href)
        : await import('./run.js')
    ) as typeof import('./run.js');
    await run.main(argv);
  })().catch(async (e: unknown) => {
    // The program could not be loaded (a damaged install): a coded diagnostic, not a stack.
    try {
      process.exitCode = (await import('./output.js')).reportError(e);
    } catch {
      process.stderr.write(`Error: [INTERNAL] cmek could not start: ${String(e)}\n`);
      process.exitCode = 1;
    }
  });
}
