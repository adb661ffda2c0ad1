// Runs examples/cdktf/main.ts as a user's cdktf app: in its own node process (tsx), from a
// directory inside the package the e2e harness built from these sources, so `cmek/cdktf`
// resolves by package name; `app.synth()` writes cdktf.out/ there. Shared by the cmek and the
// terraform end-to-end tests of the example.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cliBin, ROOT } from '../e2e/harness.js';

export interface ExampleApp {
  /** The app directory (the state file lands here: cdktf's default backend path). */
  dir: string;
  /** cdktf.out/stacks/orders */
  stackDir: string;
  synth: SpawnSyncReturns<string>;
}

export function synthExampleApp(): ExampleApp {
  const pkg = resolve(dirname(cliBin()), '..', '..');
  const dir = mkdtempSync(join(pkg, 'cdktf-app-'));
  copyFileSync(join(ROOT, 'examples/cdktf/main.ts'), join(dir, 'main.ts'));
  const synth = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CDKTF_OUTDIR: join(dir, 'cdktf.out') },
    timeout: 120_000,
  });
  return { dir, stackDir: join(dir, 'cdktf.out', 'stacks', 'orders'), synth };
}
