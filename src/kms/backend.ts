// The KMS backend behind the provider block's `kms { local | aws { ... } }` (docs/configuration.md).
// Start-up time (docs/architecture.md): the AWS SDK is imported by `openKms` only when the aws
// backend is chosen; a run on the local KMS never loads it.
import { join } from 'node:path';
import type { AwsCredentials, AwsKms } from './aws.js';
import {
  LOCAL_ROOT_PRINCIPAL,
  openLocalKms,
  type ClientOptions,
  type LocalKms,
} from './local/index.js';
import type { KmsAdmin } from './types.js';

export type KmsBackendSettings =
  | {
      backend: 'local';
      /** The data directory (`.cmek`); the local KMS lives in `<dataDir>/kms`. */
      dataDir: string;
      /** Time source for the local KMS (deletion windows, automatic rotation). */
      clock?: () => Date;
    }
  | {
      backend: 'aws';
      /** Default region (bare key ids, alias names); default AWS_REGION. */
      region?: string;
      /** Endpoint override, e.g. the URL `cmek kms serve` prints. */
      endpoint?: string;
      /** Explicit credentials; default: the SDK's standard credential chain. */
      credentials?: AwsCredentials;
      /** On AWS the credentials decide who calls. To act as a given principal (e.g. the
       * service principal), map its ARN to credentials of that principal here. */
      credentialsFor?: Readonly<Record<string, AwsCredentials>>;
    };

export interface KmsBackend {
  readonly backend: 'local' | 'aws';
  /** The KMS as the operator: the local account's root, or whoever the AWS credentials are. */
  admin(): KmsAdmin;
  /** The KMS as `principal`. Local: every call is authorized for that principal by the key
   * policy. AWS: uses `credentialsFor[principal]` when given, else the default credentials (and
   * then AWS, not this argument, decides the principal). */
  client(principal: string, opts?: ClientOptions): KmsAdmin;
  /** The local KMS itself (local backend only): purge, the wire server, ... */
  readonly local?: LocalKms;
  /** Release sockets held by SDK clients. */
  close(): void;
}

/** The backend for `settings`; imports the AWS SDK only for the aws backend. */
export async function openKms(settings: KmsBackendSettings): Promise<KmsBackend> {
  if (settings.backend === 'local') return localBackend(settings);
  const { AwsKms } = await import('./aws.js');
  return awsBackend(AwsKms, settings);
}

type LocalSettings = Extract<KmsBackendSettings, { backend: 'local' }>;
type AwsSettings = Extract<KmsBackendSettings, { backend: 'aws' }>;

export function localBackend(settings: LocalSettings): KmsBackend {
  const local = openLocalKms({
    dir: join(settings.dataDir, 'kms'),
    ...(settings.clock ? { clock: settings.clock } : {}),
  });
  return {
    backend: 'local',
    local,
    admin: () => local.client(LOCAL_ROOT_PRINCIPAL),
    client: (principal, opts) => local.client(principal, opts),
    close: () => {},
  };
}

/** The aws backend, given the SDK-backed client class (loaded by the caller). */
export function awsBackend(Kms: typeof AwsKms, settings: AwsSettings): KmsBackend {
  const base = { region: settings.region, endpoint: settings.endpoint };
  const operator = new Kms({ ...base, credentials: settings.credentials });
  const perPrincipal = new Map<string, AwsKms>();
  return {
    backend: 'aws',
    admin: () => operator,
    client: (principal) => {
      const creds = settings.credentialsFor?.[principal];
      if (!creds) return operator;
      let c = perPrincipal.get(principal);
      if (!c) {
        c = new Kms({ ...base, credentials: creds });
        perPrincipal.set(principal, c);
      }
      return c;
    },
    close: () => {
      operator.close();
      for (const c of perPrincipal.values()) c.close();
    },
  };
}
