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
  CMEK_KEY_ROTATION_OFF: {
    title: 'Key rotation off',
    description:
      'A key (aws_kms_key without enable_key_rotation, google_kms_crypto_key without ' +
      'rotation_period) never rotates its key material, so one leak exposes every data key it ' +
      'ever wrapped. Reported by `cmek policy check` as a warning.',
    remedy:
      'Turn on automatic rotation: enable_key_rotation = true (AWS) or rotation_period = ' +
      '"7776000s" (Google Cloud). Old versions stay available for decryption.',
  },
  CMEK_KEY_DELETION_WINDOW: {
    title: 'Short deletion window on a key protecting a database',
    description:
      'A key that encrypts a database of the plan can be deleted fewer than 30 days after its ' +
      'deletion is scheduled (deletion_window_in_days, destroy_scheduled_duration); the window ' +
      'is the only chance to cancel a mistaken deletion. Warning.',
    remedy:
      'Set the waiting period to 30 days (deletion_window_in_days = 30, destroy_scheduled_duration ' +
      '= "2592000s") and protect the key with lifecycle { prevent_destroy = true }.',
  },
  CMEK_ENCRYPTED_REPLACE: {
    title: 'Encrypted database replaced',
    description:
      'The plan replaces (destroys and recreates) a database encrypted with a customer-managed ' +
      'key: the data is lost. Error by default, so a deliberate replacement is suppressed with a ' +
      'reason.',
    remedy:
      "Keep the attribute that forces the replacement (see the plan's replace_paths), or move the " +
      'data deliberately with a backup and a restore; suppress the finding when the loss is intended.',
  },
  CMEK_KEY_ALIAS_REF: {
    title: 'Key named by an alias',
    description:
      'A database names its key by an alias (alias/NAME, an alias ARN, aws_kms_alias.NAME.arn) ' +
      'where the provider stores the key ARN, so every plan shows a change (a perpetual diff). ' +
      'Warning.',
    remedy: "Use the key's ARN: aws_kms_key.NAME.arn or the alias's target_key_arn.",
  },
  CMEK_KEY_DESTROYED_WITH_DATA: {
    title: 'Key destroyed with its database',
    description:
      'The plan destroys a key together with a database it encrypts. The database goes too, ' +
      'but its final snapshot and backups stay encrypted with the key and can never be read ' +
      'again. Warning.',
    remedy:
      'Keep the key until the retention of the last backup has passed, then remove it in a ' +
      'later change.',
  },
  POLICY_INPUT: {
    title: 'Policy input unreadable',
    description:
      '`cmek policy check` cannot use an input: the file or directory does not exist, cannot be ' +
      'read, is not JSON, or is neither a Terraform plan or state (terraform show -json), a cdktf ' +
      'output nor a configuration directory. The message names the file and why.',
    remedy:
      'Pass the output of `terraform show -json PLANFILE` (not the binary plan file), a state ' +
      'shown with `terraform show -json`, a cdk.tf.json or stack directory, or a directory of .tf files.',
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
  // Custom conditions (BLOCKS):
  CONDITION_FAILED: {
    title: 'Custom condition failed',
    description:
      'A variable `validation`, a `precondition` or a `postcondition` evaluated to false; the ' +
      "message is the block's error_message, at the condition's file and line.",
    remedy: 'Change the value the condition checks, or the condition.',
  },
  CHECK_FAILED: {
    title: 'Check block assertion failed',
    description:
      "An `assert` of a `check` block is false, or the check's scoped data source could not be " +
      'read. A warning: the run goes on, as in terraform.',
    remedy: 'Look at what the assertion checks; the error_message says what is wrong.',
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
  CONFIG_MODULE: {
    title: 'Module call cannot be loaded',
    description:
      'A local module call names a directory that is missing or holds no configuration, calls ' +
      'itself through other modules, or sets version on a local source.',
    remedy:
      'Point source at the module directory (relative to the calling module), break the loop, or remove version.',
  },
  CONFIG_UNSUPPORTED: {
    title: 'Unsupported construct',
    description:
      'The configuration uses a Terraform feature this provider does not support; it is ' +
      'reported rather than silently skipped.',
    remedy: 'Rewrite it with the supported subset (docs/configuration.md).',
  },
  // functions: the built-in function library (src/engine/config/functions/)
  CONFIG_FUNCTION: {
    title: 'Function call failed',
    description:
      'A built-in function was called with the wrong number of arguments, an argument of the ' +
      'wrong type, or a value it cannot use (an invalid regular expression, a path with no file, ' +
      'a CIDR prefix too small for the subnet asked for).',
    remedy: 'Fix the call as the message says; docs/configuration.md lists every function.',
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
  // State backends and workspaces (docs/backends.md):
  BACKEND_UNREACHABLE: {
    title: 'State backend unreachable',
    description:
      'The PostgreSQL server of the pg state backend cannot be reached, or refused the login ' +
      '(wrong host, port, user, password or database, or TLS required by the default ' +
      'sslmode=require on a server without TLS). The password is never shown.',
    remedy:
      'Check conn_str (backend block, -backend-config or PG_CONN_STR); add ?sslmode=disable for ' +
      'a server without TLS; nothing was changed (docs/backends.md).',
  },
  BACKEND_ERROR: {
    title: 'State backend error',
    description:
      'The state backend answered with an error: a missing privilege, a table that ' +
      'skip_table_creation says exists but does not, a conn_str that is not a postgres:// URL.',
    remedy:
      'Grant the user what the message names, or create the schema and table as documented in ' +
      'docs/backends.md; nothing was changed.',
  },
  BACKEND_INIT_REQUIRED: {
    title: 'Backend initialization required',
    description:
      'The configuration declares a state backend that `cmek init` has not set up in this ' +
      'directory, or one whose settings changed since.',
    remedy:
      'Run `cmek init` (with -migrate-state to copy the states of the previous backend, or ' +
      '-reconfigure to start using the new one as it is) (docs/cli/init.md).',
  },
  BACKEND_MIGRATE_CONFLICT: {
    title: 'State migration conflict',
    description:
      '`cmek init -migrate-state` found, at the destination, a state of another lineage (or a ' +
      'newer serial of the same one) than the state it would copy: copying would lose one of them.',
    remedy:
      'Inspect both states (`cmek show` with each backend), keep the right one, move the other ' +
      'away, and run `cmek init -migrate-state` again (docs/cli/init.md).',
  },
  WORKSPACE_ERROR: {
    title: 'Workspace error',
    description:
      'A workspace name that is not allowed, a workspace that does not exist, or a delete of ' +
      'the default or current workspace, or of one whose state still tracks resources.',
    remedy:
      'See the workspaces with `cmek workspace list`; destroy the resources first or pass ' +
      '-force to delete a non-empty workspace (docs/cli/workspace.md).',
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
  PROVIDER_MISSING: {
    title: 'Provider plugin not built',
    description:
      '`cmek provider install` found no dist/terraform-provider-cmek.js in this installation of ' +
      'cmek: the executable is made by `npm run build`.',
    remedy: 'Build the package (`npm run build`) or install a released cmek, then run it again.',
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
