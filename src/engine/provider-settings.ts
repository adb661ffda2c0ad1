// `provider "cmek" { data_dir, service_principal, kms { aws { region, endpoint } }, endpoint,
// access_key, secret_key }` →
// ProviderSettings with defaults applied. The provider block may read variables (not
// resources: the provider must be configured before any resource exists, as in Terraform). The
// values are interpreted by src/engine/provider-block.ts, which the Terraform provider plugin shares.

import { diag, type Diagnostic } from '../model/diagnostics.js';
import {
  applyProviderSetting,
  defaultProviderSettings,
  finishProviderSettings,
  type RemoteArguments,
  type SettingProblem,
} from './provider-block.js';
import type { ProviderSettings } from '../resources/types.js';
import type { Config } from './config/types.js';
import { evalExpr, makeScope, varsEnv } from './eval.js';
import type { Value } from '../model/values.js';

export function providerSettings(
  config: Config,
  vars: Record<string, Value>,
): { settings: ProviderSettings; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const settings = defaultProviderSettings(config.dir);
  const block = config.provider;
  if (!block) return { settings, diagnostics: diags };
  const scope = makeScope(varsEnv(vars, config.dir, config.workspace));
  const at = (attr: string) => {
    const pos = block.attributes[attr.split('.')[0]!]?.pos ?? block.pos;
    return { attribute: attr, file: pos.file, line: pos.line };
  };
  // In source order, so diagnostics read top to bottom.
  const attrs = Object.entries(block.attributes).sort((a, b) => a[1].pos.line - b[1].pos.line);
  const problem = (p: SettingProblem, name: string) =>
    p.unsupported
      ? diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${name}" in provider "cmek"`,
          `Expected ${p.expected}.`,
          at(name),
        )
      : diag(
          'CONFIG_SCHEMA',
          p.summary ?? `Invalid value for provider "cmek" argument "${p.attribute}"`,
          p.detail ?? `Expected: ${p.expected}.\nFound: ${JSON.stringify(p.found ?? null)}.`,
          at(p.attribute),
        );
  const remote: RemoteArguments = {};
  for (const [name, expr] of attrs) {
    const v = evalExpr(expr, scope, diags);
    for (const p of applyProviderSetting(settings, name, v, config.dir, remote))
      diags.push(problem(p, name));
  }
  for (const p of finishProviderSettings(settings, remote)) diags.push(problem(p, p.attribute));
  return { settings, diagnostics: diags };
}
