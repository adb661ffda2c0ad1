// The provider block (`provider "cmek" { data_dir, service_principal, kms { aws { region,
// endpoint } }, endpoint, access_key, secret_key }`) → ProviderSettings, with defaults applied. One interpreter of the block's
// values, whoever evaluated them: the engine (src/engine/provider-settings.ts, from HCL
// expressions) and the Terraform provider plugin (src/terraform/provider.ts, from terraform's
// decoded provider configuration). The attribute descriptions feed the plugin's schema.

import { isAbsolute, resolve } from 'node:path';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import { Unknown, type Value } from '../model/values.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET } from '../model/kms.js';
import {
  DEFAULT_SERVICE_PRINCIPAL,
  type ProviderSettings,
  type RemoteSettings,
} from '../resources/types.js';

/** The provider block's arguments and what each means (generated schemas and docs use these). */
export const PROVIDER_BLOCK = {
  description:
    'The cmek provider: where its state of the world lives (`data_dir`: the local KMS and the embedded control plane), the principal services call the KMS as, and the KMS backend.',
  attributes: {
    data_dir: {
      description:
        'Data directory of the local KMS and the embedded control plane. Relative paths are resolved against the working directory. Default: `.cmek` in the working directory, so `cmek data get` run there reads what services managed here wrote.',
    },
    service_principal: {
      description: `IAM principal the services use to call the KMS (default \`${DEFAULT_SERVICE_PRINCIPAL}\`).`,
    },
    endpoint: {
      description:
        "URL of a shared control plane served by `cmek server --listen` (docs/team.md): services, data and backups live there, and with `kms` left local the KMS is the server's too. Default: the embedded control plane under `data_dir`.",
    },
    access_key: {
      description:
        'Access key id that signs the requests to `endpoint` (default: CMEK_ACCESS_KEY_ID, else `test`). Give both access_key and secret_key, or neither.',
    },
    secret_key: {
      description:
        'Secret that signs the requests to `endpoint` (default: CMEK_SECRET_ACCESS_KEY, else `test`). Never written to state, plans or output.',
      sensitive: true,
    },
  },
  kms: {
    description:
      'The KMS backend: `local {}` (default: the local KMS under `data_dir`) or `aws { region, endpoint }`.',
    local: { description: 'The local KMS in `data_dir/kms` (the default).' },
    aws: {
      description: 'AWS KMS through the standard credential chain.',
      region: { description: 'AWS region of the KMS client (default: the SDK default).' },
      endpoint: {
        description: 'KMS endpoint URL (LocalStack, a VPC endpoint); default: the AWS one.',
      },
    },
  },
} as const;

/** A value of the block that is not what its argument takes. */
export interface SettingProblem {
  attribute: string;
  expected: string;
  found: Value | undefined;
  /** The argument is not one of the block's. */
  unsupported?: boolean;
  /** A problem between arguments: its own summary and detail instead of "Invalid value". */
  summary?: string;
  detail?: string;
}

export const PROVIDER_ARGUMENTS = [
  'data_dir',
  'service_principal',
  'kms',
  'endpoint',
  'access_key',
  'secret_key',
] as const;

/** The arguments that select a shared control plane, as written; `finishProviderSettings`
 * turns them into `settings.remote` once every argument is read. */
export type RemoteArguments = Partial<Record<'endpoint' | 'access_key' | 'secret_key', string>>;

/** The settings when the block is absent: `<dir>/.cmek`, the default principal, local KMS. */
export function defaultProviderSettings(dir: string): ProviderSettings {
  return {
    dataDir: resolve(dir, '.cmek'),
    servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
    kms: { backend: 'local' },
  };
}

/** HCL blocks arrive as a list of one object (hcl2json, terraform list nesting) or as an
 * object (JSON syntax, terraform single nesting). */
function blockObject(v: Value | undefined): Record<string, Value> | undefined {
  if (Array.isArray(v)) v = v[0];
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Unknown))
    return v as Record<string, Value>;
  return undefined;
}

/** Interpret one argument's value into `settings` (null/undefined = not set); relative paths
 * resolve against `dir`. Returns what is wrong with the value, if anything. */
export function applyProviderSetting(
  settings: ProviderSettings,
  name: string,
  v: Value | undefined,
  dir: string,
  remote: RemoteArguments = {},
): SettingProblem[] {
  if (v === undefined || v === null) return [];
  const bad = (attribute: string, expected: string, found: Value | undefined) => [
    { attribute, expected, found },
  ];
  if (name === 'endpoint' || name === 'access_key' || name === 'secret_key') {
    if (typeof v !== 'string' || !v)
      return bad(
        name,
        name === 'endpoint' ? 'a URL such as http://HOST:PORT (string)' : 'a string',
        v,
      );
    remote[name] = v;
    return [];
  }
  if (name === 'data_dir') {
    if (typeof v !== 'string' || !v) return bad(name, 'a directory path (string)', v);
    settings.dataDir = isAbsolute(v) ? v : resolve(dir, v);
    return [];
  }
  if (name === 'service_principal') {
    if (typeof v !== 'string' || !v) return bad(name, 'an IAM principal ARN (string)', v);
    settings.servicePrincipal = v;
    return [];
  }
  if (name === 'kms') {
    const kms = blockObject(v);
    if (!kms) return bad(name, 'a block: kms { local {} } or kms { aws { region, endpoint } }', v);
    // An absent nested block is null (terraform) or missing / an empty list (hcl2json).
    const keys = Object.keys(kms).filter(
      (k) => kms[k] !== null && !(Array.isArray(kms[k]) && kms[k].length === 0),
    );
    if (keys.length > 1 || (keys[0] && keys[0] !== 'aws' && keys[0] !== 'local'))
      return bad(name, 'exactly one of the blocks local {} or aws { region, endpoint }', v);
    if (keys[0] !== 'aws') {
      settings.kms = { backend: 'local' };
      return [];
    }
    const aws = blockObject(kms.aws) ?? {};
    const problems: SettingProblem[] = [];
    const { region, endpoint } = aws;
    if (region !== undefined && region !== null && typeof region !== 'string')
      problems.push(...bad('kms.aws.region', 'a region name (string)', region));
    if (endpoint !== undefined && endpoint !== null && typeof endpoint !== 'string')
      problems.push(...bad('kms.aws.endpoint', 'a URL (string)', endpoint));
    settings.kms = {
      backend: 'aws',
      ...(typeof region === 'string' ? { region } : {}),
      ...(typeof endpoint === 'string' ? { endpoint } : {}),
    };
    return problems;
  }
  return [
    {
      attribute: name,
      expected: `one of: ${PROVIDER_ARGUMENTS.join(', ')}`,
      found: v,
      unsupported: true,
    },
  ];
}

/** After every argument: `endpoint` (+ credentials) → `settings.remote`. The secret comes from
 * the block (usually a sensitive variable) or the environment, as the AWS tools do, with the
 * server's default `test`/`test` last. */
export function finishProviderSettings(
  settings: ProviderSettings,
  r: RemoteArguments,
  env: NodeJS.ProcessEnv = process.env,
): SettingProblem[] {
  if (r.endpoint === undefined) {
    return (['access_key', 'secret_key'] as const)
      .filter((attr) => r[attr] !== undefined)
      .map((attr) => ({
        attribute: attr,
        expected: 'endpoint',
        found: null,
        summary: `provider "cmek" argument "${attr}" needs "endpoint"`,
        detail:
          'access_key and secret_key sign the requests to a cmek server: set endpoint to its ' +
          'URL, or remove them (see docs/team.md).',
      }));
  }
  let url: URL | undefined;
  try {
    url = new URL(r.endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    return [
      {
        attribute: 'endpoint',
        expected:
          'the URL of a cmek server, such as http://10.0.0.5:8300 or https://cmek.example.com',
        found: r.endpoint,
      },
    ];
  }
  if ((r.access_key === undefined) !== (r.secret_key === undefined)) {
    const missing = r.access_key === undefined ? 'access_key' : 'secret_key';
    return [
      {
        attribute: missing === 'access_key' ? 'secret_key' : 'access_key',
        expected: missing,
        found: null,
        summary: `provider "cmek" argument "${missing}" is missing`,
        detail:
          'Give both access_key and secret_key, or neither (then CMEK_ACCESS_KEY_ID and ' +
          'CMEK_SECRET_ACCESS_KEY from the environment are used).',
      },
    ];
  }
  const remote: RemoteSettings = {
    endpoint: r.endpoint.replace(/\/+$/, ''),
    accessKeyId: r.access_key ?? env.CMEK_ACCESS_KEY_ID ?? DEFAULT_ACCESS_KEY_ID,
    secretAccessKey: r.secret_key ?? env.CMEK_SECRET_ACCESS_KEY ?? DEFAULT_SECRET,
  };
  settings.remote = remote;
  return [];
}

/** Read a whole provider block: `values` yields each written argument with its value, in the
 * order diagnostics should read (a generator may evaluate each value as it is asked for);
 * `where` places a diagnostic on an argument (file and line, or an attribute path); problems
 * are appended to `diagnostics` (the caller's, so they interleave with its own). The
 * engine and the Terraform provider plugin both read the block through this. */
export function readProviderBlock(
  dir: string,
  values: Iterable<readonly [string, Value | undefined]>,
  where: (attribute: string) => Partial<Diagnostic>,
  diagnostics: Diagnostic[] = [],
): { settings: ProviderSettings; diagnostics: Diagnostic[] } {
  const settings = defaultProviderSettings(dir);
  const problem = (p: SettingProblem, name: string): Diagnostic =>
    p.unsupported
      ? diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${name}" in provider "cmek"`,
          `Expected ${p.expected}.`,
          where(name),
        )
      : diag(
          'CONFIG_SCHEMA',
          p.summary ?? `Invalid value for provider "cmek" argument "${p.attribute}"`,
          p.detail ?? `Expected: ${p.expected}.\nFound: ${JSON.stringify(p.found ?? null)}.`,
          where(p.attribute),
        );
  const remote: RemoteArguments = {};
  for (const [name, v] of values) {
    for (const p of applyProviderSetting(settings, name, v, dir, remote))
      diagnostics.push(problem(p, name));
  }
  for (const p of finishProviderSettings(settings, remote))
    diagnostics.push(problem(p, p.attribute));
  return { settings, diagnostics };
}
