// `provider "cmek" { data_dir, service_principal, kms { aws { region, endpoint } }, endpoint,
// access_key, secret_key }` →
// ProviderSettings with defaults applied. The provider block may read variables (not
// resources: the provider must be configured before any resource exists, as in Terraform). The
// values are interpreted by src/engine/provider-block.ts, which the Terraform provider plugin shares.

import type { Diagnostic } from '../model/diagnostics.js';
import { defaultProviderSettings, readProviderBlock } from './provider-block.js';
import type { ProviderSettings } from '../resources/types.js';
import type { Config } from './config/types.js';
import { evalExpr, makeScope, varsEnv } from './eval.js';
import type { Value } from '../model/values.js';

export function providerSettings(
  config: Config,
  vars: Record<string, Value>,
): { settings: ProviderSettings; diagnostics: Diagnostic[] } {
  const block = config.provider;
  if (!block) return { settings: defaultProviderSettings(config.dir), diagnostics: [] };
  const scope = makeScope(varsEnv(vars, config.dir, config.workspace));
  const at = (attr: string) => {
    const pos = block.attributes[attr.split('.')[0]!]?.pos ?? block.pos;
    return { attribute: attr, file: pos.file, line: pos.line };
  };
  // In source order, so diagnostics read top to bottom; each value is evaluated when read.
  const attrs = Object.entries(block.attributes).sort((a, b) => a[1].pos.line - b[1].pos.line);
  const diagnostics: Diagnostic[] = [];
  return readProviderBlock(
    config.dir,
    (function* () {
      for (const [name, expr] of attrs) yield [name, evalExpr(expr, scope, diagnostics)] as const;
    })(),
    at,
    diagnostics,
  );
}
