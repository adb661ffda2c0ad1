// One paragraph per diagnostic code, for `cmek` help output, policy reporters (SARIF rule
// descriptions, JUnit messages) and docs/rules.md. Kept next to the rules so a rule and its
// explanation change together.

import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../model/diagnostics.js';

export interface CodeExplanation {
  code: DiagnosticCode;
  /** Short title, e.g. for a SARIF rule name. */
  title: string;
  /** When it is reported and why (one paragraph). */
  description: string;
  /** What to do about it (one paragraph). */
  remedy: string;
  /** Which seed/section the rule traces back to, for the plan-time CMEK rules. */
  source?: string;
}

const CH = 'seed 000 (ClickHouse Cloud CMEK)';
const SQL = 'seed 003 (Cloud SQL CMEK)';

const TABLE: Record<DiagnosticCode, Omit<CodeExplanation, 'code'>> = {
  CMEK_REGION_MISMATCH: {
    title: 'Key in another region',
    description:
      'A service, replica, clone or restore uses a customer-managed key from a region other ' +
      'than its own, either written in kms_key or inherited (a restore of an encrypted backup ' +
      'into another region). KMS keys are regional and both providers refuse a key from another ' +
      'region when the service is created.',
    remedy:
      "Use a key created in the resource's region (a cmek_kms_key with the same region), or " +
      "place the resource in the key's region.",
    source: `${CH}; ${SQL}`,
  },
  CMEK_NO_RETROFIT: {
    title: 'CMEK added to an existing service',
    description:
      'The plan adds a key to a service that exists without one. CMEK can only be chosen when a ' +
      'service is created; neither provider can enable it on an existing service.',
    remedy:
      'Back up the service (cmek_backup) and restore the backup into a new service that names ' +
      'the key (cmek_backup_restore with kms_key): restoring an unencrypted backup with a key is ' +
      'the supported way to put existing data under CMEK.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_KEY_REMOVAL: {
    title: 'Key removed from an encrypted service',
    description:
      'The plan removes kms_key from a service that is encrypted with a customer-managed key. ' +
      "The key cannot be removed: the service's data keys are wrapped by it.",
    remedy:
      'Keep kms_key. To change keys, rotate (clickhouse: a key of the same KMS provider; ' +
      'cloudsql: new key version + reencrypt). To get the data without CMEK, back up and ' +
      'restore into a new service.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_KEY_IMMUTABLE: {
    title: 'Key of a cloudsql service changed',
    description:
      'With the cloudsql profile the key of a live service is immutable; the plan changes it. ' +
      'Cloud SQL rotates by adding a new primary version to the same key and re-encrypting the ' +
      'instance explicitly.',
    remedy:
      'Keep kms_key; rotate the key (enable_key_rotation or `cmek kms rotate`) and change the ' +
      "service's reencrypt trigger. To use another key, back up and restore into a new service.",
    source: SQL,
  },
  CMEK_ROTATION_CROSS_PROVIDER: {
    title: 'Rotation to another KMS provider',
    description:
      'With the clickhouse profile, changing kms_key of a live service is a rotation: the data ' +
      'keys are re-wrapped by the new key without downtime. Rotation is supported only between ' +
      'keys of the same KMS provider; the plan moves to a key of another one (AWS ↔ GCP).',
    remedy:
      'Rotate to a key of the same provider (keep both keys accessible during the rotation), or ' +
      "back up and restore into a new service that uses the other provider's key.",
    source: CH,
  },
  CMEK_REPLICA_KEY_INHERITED: {
    title: 'Same-region replica names another key',
    description:
      "A replica in the same region as its primary inherits the primary's key; the " +
      'configuration assigns it a different key.',
    remedy: "Remove kms_key from the replica (it inherits the primary's key) or set the same key.",
    source: SQL,
  },
  CMEK_REPLICA_KEY_REQUIRED: {
    title: 'Cross-region replica without a key',
    description:
      'A replica in another region than its encrypted primary names no key. Keys are regional: ' +
      "each region uses its own key, so the primary's key cannot be inherited.",
    remedy:
      "Create a key in the replica's region, grant it to the service principal, and set kms_key " +
      'on the replica.',
    source: SQL,
  },
  CMEK_REPLICA_UNENCRYPTED_PRIMARY: {
    title: 'Key on a replica of an unencrypted primary',
    description:
      'A replica names a key but its primary has no customer-managed key. A replica follows its ' +
      "primary's encryption, and CMEK cannot be added to the existing primary.",
    remedy:
      'Remove kms_key from the replica, or first make an encrypted copy of the primary (backup, ' +
      'then restore with kms_key) and replicate that.',
    source: SQL,
  },
  CMEK_CLONE_KEY_INHERITED: {
    title: 'Clone with another key or region',
    description:
      "A clone inherits its source's key. The configuration names a different key (or a key " +
      'while the source is unencrypted), or puts the clone of an encrypted source in another ' +
      'region, where the inherited key does not exist.',
    remedy:
      'Remove kms_key and region from the clone. To copy the data under another key or into ' +
      'another region, restore a backup (or use a cross-region replica with its own key).',
    source: SQL,
  },
  CMEK_RESTORE_KEY_INHERITED: {
    title: 'Restore of an encrypted backup names another key',
    description:
      'With the clickhouse profile, restoring an encrypted backup creates a service that uses ' +
      "the backup's key; the restore names another key. (The cloudsql profile allows another " +
      "key in the target's region.)",
    remedy:
      'Remove kms_key from the restore; rotate the restored service to the other key afterwards ' +
      '(same KMS provider) if needed.',
    source: CH,
  },
  CMEK_KEY_IN_USE: {
    title: 'Key destroyed while still in use',
    description:
      'The plan destroys (or replaces) a key that a service, replica, clone or backup staying ' +
      'after the plan still uses. Deleting the key makes that data and its backups ' +
      'unrecoverable (crypto-shredding).',
    remedy:
      'Destroy the users in the same plan, or keep the key. To retire it, declare the new key as ' +
      'a separate resource, move the users to it (clickhouse: rotation; cloudsql: backup and ' +
      'restore), then remove the old key in a later plan. Protect data keys with ' +
      'lifecycle { prevent_destroy = true }.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_KEY_POLICY_MISSING_ACTIONS: {
    title: 'Key policy does not grant the service principal',
    description:
      'The key policy does not allow the service principal every action its profile needs ' +
      '(clickhouse: kms:GetPublicKey, kms:Decrypt, kms:GenerateDataKeyPair, kms:Encrypt, ' +
      'kms:GetKeyRotationStatus, kms:GenerateDataKey, kms:DescribeKey; cloudsql: kms:Encrypt and ' +
      'kms:Decrypt, i.e. roles/cloudkms.cryptoKeyEncrypterDecrypter), or it is not a valid policy. ' +
      'The service would find the key inaccessible.',
    remedy:
      'Add an Allow statement for the service principal with the required actions (and no Deny or ' +
      'condition that excludes it), or leave out policy so the provider writes the grant.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_KEY_POLICY_PUBLIC: {
    title: 'Key policy open to any principal',
    description:
      'A key policy statement allows "*" (or uses NotPrincipal) without a condition that narrows ' +
      'the caller, so anyone who can reach the KMS could use the key and unwrap the data keys.',
    remedy:
      'Name the principals explicitly, or add a condition such as kms:CallerAccount or ' +
      'kms:ViaService.',
  },
  CMEK_KEY_FORMAT: {
    title: 'Invalid key reference',
    description:
      'A key reference is not a valid AWS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, mrk- for ' +
      'multi-region keys), key id, alias (alias/NAME or its ARN) or GCP crypto key name ' +
      '(projects/P/locations/L/keyRings/R/cryptoKeys/K).',
    remedy:
      'Reference the key resource (cmek_kms_key.NAME.arn) or paste the full ARN / crypto key name.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_KEY_INACCESSIBLE: {
    title: 'Key not accessible',
    description:
      'A live check of the key failed: it is disabled, pending deletion, not found, or the ' +
      'service principal is denied. Reported when a service is created (the key is validated ' +
      'before use) and by the key poller; a clickhouse service then stops, a cloudsql service ' +
      'suspends.',
    remedy:
      'Re-enable the key, cancel its deletion or restore the grant. A cloudsql service resumes ' +
      'by itself; a clickhouse service needs `cmek service start`.',
    source: `${CH}; ${SQL}`,
  },
  CMEK_SERVICE_UNAVAILABLE: {
    title: 'Service stopped or suspended',
    description:
      'Data was accessed on a service that is STOPPED or SUSPENDED because its key became ' +
      'inaccessible.',
    remedy:
      'Restore access to the key; then start the service (clickhouse) or wait for the poller ' +
      'to resume it (cloudsql).',
    source: `${CH}; ${SQL}`,
  },
  CONFIG_SYNTAX: {
    title: 'Configuration syntax error',
    description: 'A .tf or .tf.json file could not be parsed.',
    remedy: 'Fix the syntax at the reported file and line.',
  },
  CONFIG_SCHEMA: {
    title: 'Invalid attribute',
    description: 'An attribute is missing, unknown, or has a value of the wrong type or range.',
    remedy: "Fix the attribute as the message says; see the resource's page in docs/.",
  },
  CONFIG_REFERENCE: {
    title: 'Unknown reference',
    description:
      'An expression refers to a resource, attribute, variable or local that does not exist.',
    remedy: 'Declare what is referenced or correct the reference.',
  },
  CONFIG_CYCLE: {
    title: 'Dependency cycle',
    description: 'Resources depend on each other in a cycle, so no order can create them.',
    remedy: 'Break the cycle (remove a reference or a depends_on).',
  },
  CONFIG_UNSUPPORTED: {
    title: 'Unsupported construct',
    description:
      'The configuration uses a Terraform feature this provider does not support; it is ' +
      'reported rather than silently skipped.',
    remedy: 'Rewrite it with the supported subset (docs/configuration.md).',
  },
  STATE_LOCKED: {
    title: 'State locked',
    description: 'Another run holds the state lock; the lock names its holder.',
    remedy: 'Wait for that run, or if it died, `cmek force-unlock ID`.',
  },
  STATE_STALE_PLAN: {
    title: 'Stale plan',
    description: 'A saved plan no longer matches the state (lineage or serial changed).',
    remedy: 'Run `cmek plan` again.',
  },
  STATE_CORRUPT: {
    title: 'Corrupt state',
    description: 'The state file cannot be parsed; it is left untouched.',
    remedy: 'Restore terraform.tfstate from its backup or fix it by hand.',
  },
  PREVENT_DESTROY: {
    title: 'prevent_destroy',
    description: 'lifecycle.prevent_destroy blocks a destroy or replacement of this resource.',
    remedy: 'Remove prevent_destroy if the destroy is intended, or change the plan.',
  },
  APPLY_FAILED: {
    title: 'Apply failed',
    description: 'A resource operation failed at apply time; the detail says why.',
    remedy: 'Fix the cause and run apply again; state records what was done.',
  },
  CMEK_INTEGRITY: {
    title: 'Integrity failure',
    description:
      'Ciphertext failed authentication: it was tampered with, or the wrong key or encryption ' +
      'context was used.',
    remedy: 'Do not trust the data; restore it from a backup.',
  },
  KMS_ERROR: {
    title: 'KMS error',
    description: 'The KMS returned an error not covered by a more specific code.',
    remedy: 'See the detail; check the KMS endpoint and credentials.',
  },
  CMEK_KMS_ROOT_KEY_MISSING: {
    title: 'Local KMS root key missing',
    description:
      'The local KMS has keys, but the root key that seals their material is not where it looked ' +
      '(it is never regenerated for an existing keystore: a new one could not open the keys).',
    remedy:
      'Restore the root key file from your backup to the path named, or point ' +
      'CMEK_KMS_ROOT_KEY_FILE / CMEK_KMS_ROOT_KEY at it (docs/kms.md).',
  },
  USAGE: {
    title: 'Usage',
    description: 'The command line is not valid.',
    remedy: 'See `cmek --help`.',
  },
  IO_ERROR: {
    title: 'File error',
    description:
      'A file or directory cannot be used: it does not exist, is a directory where a file is ' +
      'expected (or the reverse), or is not readable or writable.',
    remedy: 'Check the path named in the message (relative paths start at the working directory).',
  },
  STATE_TOO_NEW: {
    title: 'State written by a newer version',
    description:
      'The state file has a newer format version, a newer terraform_version, or a resource ' +
      'schema_version newer than this cmek knows; reading it could lose what the newer version ' +
      'recorded, so it is left untouched.',
    remedy: 'Upgrade cmek to the version named in the message (or newer).',
  },
  CONTROL_PLANE_CORRUPT: {
    title: 'Corrupt control-plane record',
    description:
      'A record file of the embedded control plane (under the data directory) cannot be parsed.',
    remedy:
      'Restore the file named in the message from a backup of the data directory, or move it away.',
  },
  IMPORT_NOT_FOUND: {
    title: 'Object to import not found',
    description:
      '`cmek import` or an `import` block names an object (key, service, backup) that does not ' +
      'exist in the KMS or the data directory of this configuration, or one of another type.',
    remedy:
      'Check the id (`cmek kms ls`, `cmek service ls`, `cmek backup ls`) and that ' +
      '`provider "cmek" { data_dir }` points at the data directory that holds it (docs/cli/import.md).',
  },
  INTERNAL: {
    title: 'Internal error',
    description: 'A bug in cmek: an error that no check turned into a diagnostic.',
    remedy: 'Report it with the command you ran; CMEK_DEBUG=1 prints the stack trace.',
  },
  // server: `cmek server --listen` and its remote clients (docs/team.md).
  SERVER_AUTH_FAILED: {
    title: 'Request refused by cmek server',
    description:
      'The control-plane server refused a request: it was not signed, signed with an unknown ' +
      'access key or a wrong secret, its date is more than 5 minutes away from the server clock, ' +
      'or the same signed request was already used once (replay).',
    remedy:
      'Use an access key and secret from the credentials file the server was started with ' +
      '(provider access_key/secret_key or CMEK_ACCESS_KEY_ID/CMEK_SECRET_ACCESS_KEY), and keep ' +
      'the clocks of client and server in sync.',
  },
  SERVER_UNAVAILABLE: {
    title: 'cmek server unavailable',
    description:
      "The control-plane server named by the provider block's endpoint cannot be reached, " +
      'closed the connection, or answered something that is not its protocol.',
    remedy:
      'Check that `cmek server --listen` runs at that address (it prints `listening on ...`), ' +
      'and that a proxy in front of it passes requests and bodies through unchanged.',
  },
};

/** The explanation of a code, or undefined for a string that is not a code. */
export function explainCode(code: string): CodeExplanation | undefined {
  if (!(DIAGNOSTIC_CODES as readonly string[]).includes(code)) return undefined;
  const c = code as DiagnosticCode;
  return { code: c, ...TABLE[c] };
}

/** "description Remedy: remedy" as one paragraph, for plain-text help. */
export function explainText(code: string): string | undefined {
  const e = explainCode(code);
  return e && `${e.code} — ${e.title}. ${e.description} Remedy: ${e.remedy}`;
}
