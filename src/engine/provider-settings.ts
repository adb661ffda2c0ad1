// `provider "cmek" { data_dir, service_principal, kms { aws { region, endpoint } }, endpoint,
// access_key, secret_key }` →
// ProviderSettings with defaults applied. The provider block may read variables (not
// resources: the provider must be configured before any resource exists, as in Terraform).

import { isAbsolute, resolve } from 'node:path';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import {
  DEFAULT_SERVICE_PRINCIPAL,
  type ProviderSettings,
  type RemoteSettings,
} from '../resources/types.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET } from '../kms/server/credentials.js';
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
  const scope = makeScope(varsEnv(vars, config.dir));
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
  const remote: Partial<Record<'endpoint' | 'access_key' | 'secret_key', string>> = {};
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
    } else if (name === 'endpoint' || name === 'access_key' || name === 'secret_key') {
      // server: a shared control plane (docs/team.md); completed after the loop.
      if (typeof v !== 'string' || !v) {
        bad(name, name === 'endpoint' ? 'a URL such as http://HOST:PORT (string)' : 'a string', v);
      } else remote[name] = v;
    } else {
      diags.push(
        diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${name}" in provider "cmek"`,
          'Expected one of: data_dir, service_principal, kms, endpoint, access_key, secret_key.',
          at(name),
        ),
      );
    }
  }
  const r = remoteSettings(remote, at, diags);
  if (r) settings.remote = r;
  return { settings, diagnostics: diags };
}

/** `endpoint` (+ credentials) → RemoteSettings. The secret comes from the block (usually a
 * sensitive variable) or the environment, as the AWS tools do, with the server's default
 * `test`/`test` last. */
function remoteSettings(
  r: Partial<Record<'endpoint' | 'access_key' | 'secret_key', string>>,
  at: (attr: string) => { attribute: string; file: string; line: number },
  diags: Diagnostic[],
): RemoteSettings | undefined {
  if (r.endpoint === undefined) {
    for (const attr of ['access_key', 'secret_key'] as const) {
      if (r[attr] !== undefined) {
        diags.push(
          diag(
            'CONFIG_SCHEMA',
            `provider "cmek" argument "${attr}" needs "endpoint"`,
            'access_key and secret_key sign the requests to a cmek server: set endpoint to its ' +
              'URL, or remove them (see docs/team.md).',
            at(attr),
          ),
        );
      }
    }
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(r.endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        'Invalid value for provider "cmek" argument "endpoint"',
        `Expected the URL of a cmek server, such as http://10.0.0.5:8300 or https://cmek.example.com.\nFound: ${JSON.stringify(r.endpoint)}.`,
        at('endpoint'),
      ),
    );
    return undefined;
  }
  if ((r.access_key === undefined) !== (r.secret_key === undefined)) {
    const missing = r.access_key === undefined ? 'access_key' : 'secret_key';
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        `provider "cmek" argument "${missing}" is missing`,
        'Give both access_key and secret_key, or neither (then CMEK_ACCESS_KEY_ID and ' +
          'CMEK_SECRET_ACCESS_KEY from the environment are used).',
        at(missing === 'access_key' ? 'secret_key' : 'access_key'),
      ),
    );
    return undefined;
  }
  const env = process.env;
  return {
    endpoint: r.endpoint.replace(/\/+$/, ''),
    accessKeyId: r.access_key ?? env.CMEK_ACCESS_KEY_ID ?? DEFAULT_ACCESS_KEY_ID,
    secretAccessKey: r.secret_key ?? env.CMEK_SECRET_ACCESS_KEY ?? DEFAULT_SECRET,
  };
}
