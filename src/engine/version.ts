// The package version, read once from package.json. A module of its own, importing nothing of
// the project, so `cmek --version` can print it without loading the engine
// (docs/architecture.md, "Start-up"); src/engine/state.ts re-exports it.
import { readFileSync } from 'node:fs';

/** The package version, written as `terraform_version` into state and plans. */
export const ENGINE_VERSION: string = (() => {
  try {
    // src/engine/version.ts and dist/engine/version.js both sit two levels below package.json.
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
