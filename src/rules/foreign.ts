// The role table of foreign resource types: which resources of the AWS, Google Cloud and
// ClickHouse Terraform providers are keys, key policies, IAM grants or databases, and which
// attributes hold their key, parent, region and kind. `cmekRuleInput(changes, { roles: { ...
// RESOURCE_ROLES, ...FOREIGN_ROLES }, ... })` then feeds them to the same rule functions as
// `cmek_*` resources. `cmek policy check`, the cdktf Aspect and the Pulumi CrossGuard pack all
// use this one table.
//
// Shape (see `ResourceRoles` in ./cmek.ts): type → one role.
//   { kind: 'key', refAttribute, idAttributes?, regionAttribute?, regionFromProvider?,
//     regionVia?: { attribute, regionAttribute }, provider, rotation?, deletionWindow?,
//     noDefaultPolicy? }
//   { kind: 'policy', keyAttribute, policyAttribute?, principalAttribute? }
//   { kind: 'alias', refAttributes, targetAttribute }
//   { kind: 'grant', targetAttribute, scope: 'key' | 'ring', roleAttribute, memberAttribute,
//     roles: IAM role → KMS actions, publicMembers, agent, profile }
//   { kind: 'association', nodeAttribute, keyAttribute }
//   { kind: 'service' | 'replica' | ..., keyAttribute?, encryptedAttribute?, regionAttribute?,
//     regionFromProvider?, arnAttribute?, profile?, variants?: [{ kind, parentAttribute }],
//     idAttributes?, storesKeyArn? }
// Attribute names may be dotted paths into nested blocks (`clone.source_instance_name`).
// A caller hands `cmekRuleInput` one `CmekResourceChange` per resource: before/after values,
// `refs` (attribute path → referenced address, from the configuration) and `providerRegion`
// (the region of the provider configuration the resource uses).
//
// Mapping onto the profiles: Cloud SQL is the `cloudsql` profile; RDS follows the same facts
// (the key is fixed at creation, a same-region read replica inherits the primary's key, a
// cross-region one needs a key of its region, a restore may name any key of its region);
// ClickHouse Cloud is the `clickhouse` profile.

import { ENCRYPTER_DECRYPTER_ACTIONS } from '../model/policy/index.js';
import type { GrantRole, KeyRole, NodeRole, ResourceRoles } from './cmek.js';

const GCP_ENCRYPTER_DECRYPTER = 'roles/cloudkms.cryptoKeyEncrypterDecrypter';

/** IAM grants on Cloud KMS keys and rings: judged for the Cloud SQL service agent. */
const gcpGrant = (
  scope: GrantRole['scope'],
  memberAttribute: string,
): Omit<GrantRole, 'targetAttribute'> => ({
  kind: 'grant',
  scope,
  roleAttribute: 'role',
  memberAttribute,
  roles: {
    [GCP_ENCRYPTER_DECRYPTER]: ENCRYPTER_DECRYPTER_ACTIONS,
    'roles/cloudkms.cryptoKeyEncrypter': ['kms:Encrypt'],
    'roles/cloudkms.cryptoKeyDecrypter': ['kms:Decrypt'],
  },
  publicMembers: ['allUsers', 'allAuthenticatedUsers'],
  agent: {
    pattern: '^serviceAccount:service-[0-9]+@gcp-sa-cloud-sql\\.iam\\.gserviceaccount\\.com$',
    identityType: 'google_project_service_identity',
    identityAttribute: 'service',
    identityValue: 'sqladmin.googleapis.com',
    placeholder: 'serviceAccount:service-PROJECT_NUMBER@gcp-sa-cloud-sql.iam.gserviceaccount.com',
  },
  profile: 'cloudsql',
});

const rdsInstance: NodeRole = {
  kind: 'service',
  keyAttribute: 'kms_key_id',
  encryptedAttribute: 'storage_encrypted',
  regionAttribute: 'region',
  arnAttribute: 'arn',
  regionFromProvider: true,
  profile: 'cloudsql',
  idAttributes: ['identifier', 'arn'],
  storesKeyArn: true,
  variants: [
    { kind: 'replica', parentAttribute: 'replicate_source_db' },
    { kind: 'clone', parentAttribute: 'restore_to_point_in_time.source_db_instance_identifier' },
    { kind: 'restore', parentAttribute: 'snapshot_identifier' },
  ],
};

/** An AWS KMS key (or multi-Region replica key) in its provider configuration's region. */
const awsKey: KeyRole = {
  kind: 'key',
  refAttribute: 'arn',
  idAttributes: ['key_id', 'id'],
  provider: 'aws',
  regionAttribute: 'region',
  regionFromProvider: true,
  deletionWindow: { attribute: 'deletion_window_in_days', unit: 'days', defaultDays: 30 },
  noDefaultPolicy: true,
};

export const FOREIGN_ROLES: ResourceRoles = Object.freeze({
  // Google Cloud: Cloud KMS and Cloud SQL.
  google_kms_crypto_key: {
    kind: 'key',
    refAttribute: 'id',
    provider: 'gcp',
    regionVia: { attribute: 'key_ring', regionAttribute: 'location' },
    rotation: { attribute: 'rotation_period', when: 'set' },
    deletionWindow: { attribute: 'destroy_scheduled_duration', unit: 'seconds', defaultDays: 30 },
    noDefaultPolicy: true,
  },
  google_kms_crypto_key_iam_member: {
    targetAttribute: 'crypto_key_id',
    ...gcpGrant('key', 'member'),
  },
  google_kms_crypto_key_iam_binding: {
    targetAttribute: 'crypto_key_id',
    ...gcpGrant('key', 'members'),
  },
  google_kms_key_ring_iam_member: { targetAttribute: 'key_ring_id', ...gcpGrant('ring', 'member') },
  google_kms_key_ring_iam_binding: {
    targetAttribute: 'key_ring_id',
    ...gcpGrant('ring', 'members'),
  },
  google_sql_database_instance: {
    kind: 'service',
    keyAttribute: 'encryption_key_name',
    regionAttribute: 'region',
    regionFromProvider: true,
    profile: 'cloudsql',
    idAttributes: ['name', 'connection_name', 'self_link'],
    variants: [
      { kind: 'replica', parentAttribute: 'master_instance_name' },
      { kind: 'clone', parentAttribute: 'clone.source_instance_name' },
      { kind: 'restore', parentAttribute: 'restore_backup_context.instance_id' },
    ],
  },
  // AWS: KMS and RDS.
  aws_kms_key: {
    ...awsKey,
    rotation: { attribute: 'enable_key_rotation', when: 'true' },
    policyAttribute: 'policy',
  },
  // A replica of a multi-Region key: its rotation follows the primary key.
  aws_kms_replica_key: awsKey,
  aws_kms_key_policy: {
    kind: 'policy',
    keyAttribute: 'key_id',
    policyAttribute: 'policy',
    judgeGrantFor: ['clickhouse'],
  },
  aws_kms_alias: {
    kind: 'alias',
    refAttributes: ['arn', 'name'],
    targetAttribute: 'target_key_id',
  },
  aws_db_instance: rdsInstance,
  aws_rds_cluster: {
    ...rdsInstance,
    idAttributes: ['cluster_identifier', 'arn'],
    variants: [
      { kind: 'replica', parentAttribute: 'replication_source_identifier' },
      { kind: 'clone', parentAttribute: 'restore_to_point_in_time.source_cluster_identifier' },
      { kind: 'restore', parentAttribute: 'snapshot_identifier' },
    ],
  },
  // ClickHouse Cloud.
  clickhouse_service: {
    kind: 'service',
    keyAttribute: 'encryption_key',
    regionAttribute: 'region',
    profile: 'clickhouse',
    idAttributes: ['name'],
    variants: [{ kind: 'restore', parentAttribute: 'backup_id' }],
  },
  clickhouse_service_transparent_data_encryption_key_association: {
    kind: 'association',
    nodeAttribute: 'service_id',
    keyAttribute: 'key_id',
  },
});

/** Provider families of the foreign types, for documentation and reports. */
export const FOREIGN_FAMILIES: Readonly<Record<string, 'google' | 'aws' | 'clickhouse'>> =
  Object.freeze(
    Object.fromEntries(
      Object.keys(FOREIGN_ROLES).map((t) => [
        t,
        t.startsWith('google_') ? 'google' : t.startsWith('aws_') ? 'aws' : 'clickhouse',
      ]),
    ) as Record<string, 'google' | 'aws' | 'clickhouse'>,
  );
