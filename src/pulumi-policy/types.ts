// Pulumi resources as the CMEK rules see them: the one small table from Pulumi type tokens to
// the terraform type names the role tables are keyed by (src/rules FOREIGN_ROLES for AWS and
// Google Cloud, the resource definitions' roles for cmek's own), and Pulumi's camelCase
// properties to the snake_case attributes those roles name. The cmek tokens are derived from
// the resource types, never listed.
import { PULUMI_UNKNOWN, camelToSnake, pulumiTypeToken } from '../model/case.js';
import { Unknown, type Attrs, type Value } from '../model/values.js';
import { RESOURCE_ROLES, RESOURCE_TYPES } from '../resources/index.js';
import { FOREIGN_ROLES, type ResourceRoles } from '../rules/index.js';

/** Pulumi AWS and Google Cloud tokens → terraform type names (FOREIGN_ROLES rows). The key
 * ring has no role of its own: it is listed so a crypto key can take its region from it. */
export const PULUMI_FOREIGN_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'aws:rds/instance:Instance': 'aws_db_instance',
  'aws:rds/cluster:Cluster': 'aws_rds_cluster',
  'aws:kms/key:Key': 'aws_kms_key',
  'aws:kms/keyPolicy:KeyPolicy': 'aws_kms_key_policy',
  'aws:kms/alias:Alias': 'aws_kms_alias',
  'gcp:sql/databaseInstance:DatabaseInstance': 'google_sql_database_instance',
  'gcp:kms/cryptoKey:CryptoKey': 'google_kms_crypto_key',
  'gcp:kms/keyRing:KeyRing': 'google_kms_key_ring',
  'gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember': 'google_kms_crypto_key_iam_member',
  'gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding': 'google_kms_crypto_key_iam_binding',
});

/** Every Pulumi token the pack judges → its terraform type name. */
export const PULUMI_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(Object.keys(RESOURCE_TYPES).map((t) => [pulumiTypeToken(t), t])),
  ...PULUMI_FOREIGN_TYPES,
});

/** The role table of the pack: cmek's own types and the foreign ones. */
export const PACK_ROLES: ResourceRoles = Object.freeze({ ...FOREIGN_ROLES, ...RESOURCE_ROLES });

/** The terraform type of a Pulumi token, or undefined when the pack does not judge it. */
export function terraformType(token: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(PULUMI_TYPES, token)
    ? PULUMI_TYPES[token]
    : undefined;
}

/** The dynamic provider's own property: not an attribute. */
const PROVIDER_KEY = '__provider';

function convert(v: unknown): Value | undefined {
  if (v === undefined) return undefined;
  if (v === PULUMI_UNKNOWN) return new Unknown();
  if (v === null || typeof v !== 'object') return v as Value;
  if (Array.isArray(v)) return v.map((x) => convert(x) ?? null);
  const out: Record<string, Value> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const c = convert(x);
    if (c !== undefined) out[camelToSnake(k)] = c;
  }
  return out;
}

/** Pulumi properties → snake_case attributes, nested blocks included (`clone.sourceInstanceName`
 * → `clone.source_instance_name`, as the role tables name them). */
export function pulumiAttrs(props: Record<string, unknown>): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === PROVIDER_KEY) continue;
    const c = convert(v);
    if (c !== undefined) out[camelToSnake(k)] = c;
  }
  return out;
}
