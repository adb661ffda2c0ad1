// Choosing the KMS backend (the provider block `kms { local | aws { region, endpoint } }`, see
// docs/configuration.md): the embedded local KMS under `<data_dir>/kms`, or AWS KMS through the
// SDK. Callers get the same `KmsAdmin` surface either way; the only difference is who decides the
// calling principal.
import { join } from 'node:path';
import { AwsKms, type AwsCredentials } from './aws.js';
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

export function createKms(settings: KmsBackendSettings): KmsBackend {
  if (settings.backend === 'local') {
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
  const base = { region: settings.region, endpoint: settings.endpoint };
  const operator = new AwsKms({ ...base, credentials: settings.credentials });
  const perPrincipal = new Map<string, AwsKms>();
  return {
    backend: 'aws',
    admin: () => operator,
    client: (principal) => {
      const creds = settings.credentialsFor?.[principal];
      if (!creds) return operator;
      let c = perPrincipal.get(principal);
      if (!c) {
        c = new AwsKms({ ...base, credentials: creds });
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

export { AwsKms, createAwsKms, toKmsError } from './aws.js';
export type { AwsCredentials, AwsKmsSettings } from './aws.js';
// The rest of `cmek/kms`: the KMS interface, the in-memory KMS and the local KMS.
export * from './types.js';
export { MemoryKms, type MemoryKmsOptions, type MemoryKmsOperation } from './memory.js';
export {
  openLocalKms,
  LOCAL_ACCOUNT,
  LOCAL_ROOT_PRINCIPAL,
  type LocalKms,
  type LocalKmsClient,
  type LocalKmsOptions,
  type LocalKeyMetadata,
} from './local/index.js';
