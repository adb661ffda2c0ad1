// Import a package entry in a fresh node process and record what it loaded: its export names
// and every module URL node resolved (a node:module resolve hook appends each to a log file).
// The package-exports tests use it to check that an entry does not pull in what it must not.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** `import(specifier)` from `cwd` (a package root, so the package's own name resolves through
 * its "exports"); the log file goes to `logDir`. */
export function loadEntry(
  specifier: string,
  cwd: string,
  logDir: string,
): { names: string[]; urls: string[] } {
  const log = join(logDir, `${specifier.replace(/\W/g, '_')}.log`);
  const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) {
  const r = await next(s, c);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`;
  const register = `import { register } from 'node:module';
register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'data:text/javascript,' + encodeURIComponent(register),
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`,
    ],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { names: JSON.parse(r.stdout) as string[], urls };
}
