// `provider "cmek" { data_dir, service_principal, kms { aws { region, endpoint } } }` →
// ProviderSettings with defaults applied. The provider block may read variables (not
// resources: the provider must be configured before any resource exists, as in Terraform).

import { isAbsolute, resolve } from 'node:path';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import { DEFAULT_SERVICE_PRINCIPAL, type ProviderSettings } from '../resources/types.js';
import type { Config } from './config/types.js';
import { evalExpr, makeScope, varsEnv } from './eval.js';
import { Unknown, type Value } from '../model/values.js';

/** HCL blocks arrive as a list of one object (hcl2json) or as an object (JSON syntax). */
function blockObject(v: Value | undefined): Record<string, Value> | undefined {
  if (Array.isArray(v)) v = v[0];
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Unknown))
    return v as Record<string, Value>;
  return undefined;
}

export function providerSettings(
  config: Config,
  vars: Record<string, Value>,
): { settings: ProviderSettings; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const settings: ProviderSettings = {
    dataDir: resolve(config.dir, '.cmek'),
    servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
    kms: { backend: 'local' },
  };
  const block = config.provider;
  if (!block) return { settings, diagnostics: diags };
  const scope = makeScope(varsEnv(vars, config.dir, config.workspace));
  const at = (attr: string) => {
    const pos = block.attributes[attr]?.pos ?? block.pos;
    return { attribute: attr, file: pos.file, line: pos.line };
  };
  const bad = (attr: string, expected: string, found: Value | undefined) =>
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        `Invalid value for provider "cmek" argument "${attr}"`,
        `Expected: ${expected}.\nFound: ${JSON.stringify(found ?? null)}.`,
        at(attr),
      ),
    );
  // In source order, so diagnostics read top to bottom.
  const attrs = Object.entries(block.attributes).sort((a, b) => a[1].pos.line - b[1].pos.line);
  for (const [name, expr] of attrs) {
    const v = evalExpr(expr, scope, diags);
    if (v === undefined || v === null) continue;
    if (name === 'data_dir') {
      if (typeof v !== 'string' || !v) bad(name, 'a directory path (string)', v);
      else settings.dataDir = isAbsolute(v) ? v : resolve(config.dir, v);
    } else if (name === 'service_principal') {
      if (typeof v !== 'string' || !v) bad(name, 'an IAM principal ARN (string)', v);
      else settings.servicePrincipal = v;
    } else if (name === 'kms') {
      const kms = blockObject(v);
      if (!kms) {
        bad(name, 'a block: kms { local {} } or kms { aws { region, endpoint } }', v);
        continue;
      }
      const keys = Object.keys(kms).filter((k) => kms[k] !== null);
      if (keys.length > 1 || (keys[0] && keys[0] !== 'aws' && keys[0] !== 'local')) {
        bad(name, 'exactly one of the blocks local {} or aws { region, endpoint }', v);
        continue;
      }
      if (keys[0] === 'aws') {
        const aws = blockObject(kms.aws) ?? {};
        const region = aws.region;
        const endpoint = aws.endpoint;
        if (region !== undefined && region !== null && typeof region !== 'string')
          bad('kms.aws.region', 'a region name (string)', region);
        if (endpoint !== undefined && endpoint !== null && typeof endpoint !== 'string')
          bad('kms.aws.endpoint', 'a URL (string)', endpoint);
        settings.kms = {
          backend: 'aws',
          ...(typeof region === 'string' ? { region } : {}),
          ...(typeof endpoint === 'string' ? { endpoint } : {}),
        };
      }
    } else {
      diags.push(
        diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${name}" in provider "cmek"`,
          'Expected one of: data_dir, service_principal, kms.',
          at(name),
        ),
      );
    }
  }
  return { settings, diagnostics: diags };
}
