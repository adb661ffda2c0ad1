#!/usr/bin/env node
// Entry point of the `cmek` binary. `cmek --version` (also `-version`, `-v`) is answered here,
// having loaded nothing but the version module; everything else loads the program
// (src/cli/run.ts) and only the verb it runs (src/cli/program.ts): from the bundle `npm run
// build` makes (dist/bundle/run.js, scripts/build-cli.ts) when it is there, else module by
// module (a tsc-only build, or the sources). docs/architecture.md, "Start-up", has the
// measurements.
import { existsSync } from 'node:fs';
import { ENGINE_VERSION } from '../engine/version.js';

/** The bundled program, from dist/cli/main.js (absent when run from src/ or a tsc-only build). */
const BUNDLE = new URL('../bundle/run.js', import.meta.url);

/** The spellings of the version flag when it is the only argument, as commander prints it. */
const VERSION_FLAGS = new Set(['--version', '-version', '-v']);

const argv = process.argv.slice(2);
if (argv.length === 1 && VERSION_FLAGS.has(argv[0]!)) {
  // A closed stdout (`cmek --version | true`) ends quietly, as everywhere else.
  process.stdout.on('error', (e) => {
    void import('./output.js').then((o) => process.exit(o.reportError(e)));
  });
  process.stdout.write(`${ENGINE_VERSION}\n`);
} else {
  const run = (
    existsSync(BUNDLE) ? await import(BUNDLE.href) : await import('./run.js')
  ) as typeof import('./run.js');
  await run.main(argv);
}
