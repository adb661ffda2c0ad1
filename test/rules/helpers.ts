// Builders for rule tests: resource changes shaped like the engine's planned changes, so most
// tests go through the real adapter (cmekRuleInput) and then checkRules.
import { Unknown, type Value } from '../../src/model/values.js';
import type { KeyProvider } from '../../src/kms/types.js';
import {
  checkRules,
  cmekRuleInput,
  type Action,
  type CmekResourceChange,
  type CmekRuleInputOptions,
} from '../../src/rules/index.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { RESOURCE_ROLES } from '../../src/resources/index.js';

/** The role table of this provider's resource types, as the engine passes it. */
export const ROLES = RESOURCE_ROLES;

export const SP = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
export const LOCAL_SP = 'arn:aws:iam::000000000000:role/cmek-service';

export const ARN = {
  use1a: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  use1b: 'arn:aws:kms:us-east-1:111122223333:key/2234abcd-12ab-34cd-56ef-1234567890ab',
  euw1: 'arn:aws:kms:eu-west-1:111122223333:key/3234abcd-12ab-34cd-56ef-1234567890ab',
  gcpUse1: 'projects/p1/locations/us-east1/keyRings/r/cryptoKeys/k',
  gcpUsc1: 'projects/p1/locations/us-central1/keyRings/r/cryptoKeys/k',
  gcpUsc1b: 'projects/p1/locations/us-central1/keyRings/r/cryptoKeys/k2',
  gcpEuw4: 'projects/p1/locations/europe-west4/keyRings/r/cryptoKeys/k',
} as const;

/** The value a reference to `cmek_kms_key.NAME.arn` has at plan time when the key is new. */
export function newKeyRef(name: string, region: string, provider: KeyProvider = 'aws'): Unknown {
  return new Unknown({ address: `cmek_kms_key.${name}`, region, provider });
}

export interface Opts {
  action?: Action;
  before?: Record<string, Value> | null;
  refs?: Record<string, string>;
  line?: number;
}

function change(
  type: string,
  name: string,
  after: Record<string, Value> | null,
  o: Opts = {},
): CmekResourceChange {
  const action = o.action ?? (o.before ? 'update' : 'create');
  const c: CmekResourceChange = {
    address: `${type}.${name}`,
    type,
    action,
    after: action === 'delete' ? null : after,
    pos: { file: 'main.tf', line: o.line ?? 1 },
    attrPos: {
      kms_key: { file: 'main.tf', line: (o.line ?? 1) + 3 },
      region: { file: 'main.tf', line: (o.line ?? 1) + 2 },
    },
  };
  if (o.before !== undefined) c.before = o.before;
  if (o.refs) c.refs = o.refs;
  return c;
}

/** Strip undefined so `{kms_key: undefined}` means "not written". */
function attrs(a: Record<string, Value | undefined>): Record<string, Value> {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Record<
    string,
    Value
  >;
}

export function kmsKey(
  name: string,
  a: { region: string; key_ring?: string; arn?: Value; id?: Value },
  o: Opts = {},
): CmekResourceChange {
  const provider = a.key_ring ? 'gcp' : 'aws';
  const unknownArn = new Unknown({ address: `cmek_kms_key.${name}`, region: a.region, provider });
  return change(
    'cmek_kms_key',
    name,
    attrs({ ...a, arn: a.arn ?? unknownArn, id: a.id ?? unknownArn }),
    o,
  );
}

export function service(
  name: string,
  a: { region: string; kms_key?: Value; profile?: string; id?: Value },
  o: Opts = {},
): CmekResourceChange {
  return change('cmek_encrypted_service', name, attrs({ name, ...a }), o);
}

export function replica(
  name: string,
  primary: string,
  a: { region: string; kms_key?: Value },
  o: Opts = {},
): CmekResourceChange {
  return change('cmek_replica', name, attrs({ name, primary_id: new Unknown(), ...a }), {
    refs: { primary_id: `cmek_encrypted_service.${primary}.id` },
    ...o,
  });
}

export function clone(
  name: string,
  source: string,
  a: { region?: string; kms_key?: Value },
  o: Opts = {},
): CmekResourceChange {
  return change('cmek_clone', name, attrs({ name, source_id: new Unknown(), ...a }), {
    refs: { source_id: `cmek_encrypted_service.${source}.id` },
    ...o,
  });
}

export function backup(name: string, svc: string, o: Opts = {}): CmekResourceChange {
  return change(
    'cmek_backup',
    name,
    { service_id: new Unknown(), kms_key: new Unknown(), id: new Unknown() },
    { refs: { service_id: `cmek_encrypted_service.${svc}.id` }, ...o },
  );
}

export function restore(
  name: string,
  bk: string,
  a: { region?: string; kms_key?: Value },
  o: Opts = {},
): CmekResourceChange {
  return change('cmek_backup_restore', name, attrs({ name, backup_id: new Unknown(), ...a }), {
    refs: { backup_id: `cmek_backup.${bk}.id` },
    ...o,
  });
}

export function keyPolicy(
  name: string,
  key: string,
  a: { policy?: Value; service_principal?: Value; key_id?: Value },
  o: Opts = {},
): CmekResourceChange {
  return change(
    'cmek_kms_key_policy',
    name,
    attrs({ key_id: a.key_id ?? new Unknown({ address: `cmek_kms_key.${key}` }), ...a }),
    { refs: a.key_id === undefined ? { key_id: `cmek_kms_key.${key}.id` } : {}, ...o },
  );
}

export function check(
  changes: CmekResourceChange[],
  opts: Partial<CmekRuleInputOptions> = {},
): Diagnostic[] {
  return checkRules(cmekRuleInput(changes, { servicePrincipal: SP, roles: ROLES, ...opts }));
}

/** `address CODE` per diagnostic, for compact assertions. */
export function codes(diags: Diagnostic[]): string[] {
  return diags.map((d) => `${d.address} ${d.code}`);
}

/** A policy granting `principal` the given actions, plus the account root. */
export function policyGranting(principal: string, actions: string[]): Record<string, Value> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'Service',
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: actions,
        Resource: '*',
      },
    ],
  };
}
