// Diagnostics are values, not exceptions (docs/architecture.md): every layer returns Diagnostic[] so a
// plan reports every problem in one pass. The codes are the public contract (docs/contract.md, docs/rules.md).

export const DIAGNOSTIC_CODES = [
  'CMEK_REGION_MISMATCH',
  'CMEK_NO_RETROFIT',
  'CMEK_KEY_REMOVAL',
  'CMEK_KEY_IMMUTABLE',
  'CMEK_ROTATION_CROSS_PROVIDER',
  'CMEK_REPLICA_KEY_INHERITED',
  'CMEK_REPLICA_KEY_REQUIRED',
  'CMEK_REPLICA_UNENCRYPTED_PRIMARY',
  'CMEK_CLONE_KEY_INHERITED',
  'CMEK_RESTORE_KEY_INHERITED',
  'CMEK_KEY_IN_USE',
  'CMEK_KEY_POLICY_MISSING_ACTIONS',
  'CMEK_KEY_POLICY_PUBLIC',
  'CMEK_KEY_FORMAT',
  // Review findings of `cmek policy check` (src/rules/review.ts, docs/policy.md):
  'CMEK_KEY_ROTATION_OFF', // a key without automatic rotation of its key material
  'CMEK_KEY_DELETION_WINDOW', // a key protecting a database can be deleted after fewer than 30 days
  'CMEK_ENCRYPTED_REPLACE', // the plan replaces (destroys and recreates) an encrypted database
  'CMEK_KEY_ALIAS_REF', // a database names its key by an alias where the provider stores the ARN
  'CMEK_KEY_DESTROYED_WITH_DATA', // a key is destroyed together with the database it encrypts
  'CMEK_KEY_INACCESSIBLE',
  'CMEK_SERVICE_UNAVAILABLE',
  'CONFIG_SYNTAX',
  'CONFIG_SCHEMA',
  'CONFIG_REFERENCE',
  'CONFIG_CYCLE',
  'CONFIG_UNSUPPORTED',
  // functions: a built-in function rejected its arguments (wrong number, wrong type, a value it
  // cannot use) or failed (terraform's "Invalid function argument" / "Error in function call")
  'CONFIG_FUNCTION',
  // modules: a local module call whose directory is missing or has no configuration, a loop of
  // module calls, or `version` on a local source (docs/configuration.md, "Modules")
  'CONFIG_MODULE',
  'STATE_LOCKED',
  // Not rule codes, but needed to report failures with a stable code:
  'STATE_STALE_PLAN', // a saved plan whose lineage/serial no longer matches the state
  'STATE_CORRUPT', // the state file cannot be parsed; it is left untouched
  'PREVENT_DESTROY', // lifecycle.prevent_destroy blocks a destroy or replace
  'APPLY_FAILED', // a resource operation failed at apply time (detail says why)
  'CMEK_INTEGRITY', // ciphertext failed authentication (tampering, wrong key or context)
  'KMS_ERROR', // the KMS returned an error not covered by a more specific code
  'CMEK_KMS_ROOT_KEY_MISSING', // the local KMS has keys but its root key is not where it looked
  'USAGE', // bad command-line usage
  'IO_ERROR', // a file or directory named on the command line or in the configuration cannot be used
  'STATE_TOO_NEW', // the state was written by a newer cmek/terraform (format, version or schema)
  'CONTROL_PLANE_CORRUPT', // a record of the embedded control plane cannot be parsed
  'IMPORT_NOT_FOUND', // `cmek import` / an import block names an object that does not exist
  // The Terraform provider plugin (cmek provider install):
  'PROVIDER_MISSING', // this installation has no bundled terraform-provider-cmek (not built)
  // State backends and workspaces (docs/backends.md):
  'BACKEND_UNREACHABLE', // the state backend's server cannot be reached or refused the login
  'BACKEND_ERROR', // the state backend answered with an error (permissions, missing table, ...)
  'BACKEND_INIT_REQUIRED', // the configured backend differs from the one `cmek init` set up
  'BACKEND_MIGRATE_CONFLICT', // `cmek init -migrate-state` found a different state at the destination
  'WORKSPACE_ERROR', // a workspace name that is invalid, missing, current, or not empty on delete
  'INTERNAL', // a bug in cmek: an error nothing else turned into a diagnostic
  'POLICY_INPUT', // `cmek policy check`: an input file cannot be read or is not a plan, state or configuration
  // server (`cmek server --listen` and its remote clients, docs/team.md):
  'SERVER_AUTH_FAILED', // the control-plane server refused a request: unsigned, wrong secret, expired or replayed
  'SERVER_UNAVAILABLE', // the control-plane server named by the provider's endpoint cannot be reached or answered garbage
  // Custom conditions (BLOCKS, docs/configuration.md):
  'CONDITION_FAILED', // a variable validation, precondition or postcondition is false: its error_message
  'CHECK_FAILED', // a check block's assert is false, or its scoped data source failed (a warning)
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** One line: what is wrong. */
  summary: string;
  /** Why, and the remedy: what the user should do. */
  detail: string;
  /** Resource address such as `cmek_replica.eu` (with `[0]` for count). */
  address?: string;
  /** Attribute path such as `kms_key`. */
  attribute?: string;
  /** For configuration errors: the file and 1-based line. */
  file?: string;
  line?: number;
  /** The range in `file` when the parser knows it (native .tf syntax): 1-based start column,
   * and the end (line, exclusive column), as in src/model/position.ts. Optional: older
   * consumers that read file and line keep working. */
  column?: number;
  endLine?: number;
  endColumn?: number;
}

export function diag(
  code: DiagnosticCode,
  summary: string,
  detail: string,
  extra: Partial<Omit<Diagnostic, 'code' | 'summary' | 'detail'>> = {},
): Diagnostic {
  return { severity: 'error', code, summary, detail, ...extra };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** An exception that carries diagnostics, for the few places where a value cannot be returned
 * (deep inside apply, the CLI boundary). Catch it and print `diagnostics`. */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => `${d.code}: ${d.summary}`).join('; '));
    this.name = 'DiagnosticError';
    this.diagnostics = list;
  }
}

/** `file:line[:column]` of a diagnostic, or just the file; undefined without one. */
export function diagnosticPlace(d: Diagnostic): string | undefined {
  if (!d.file) return undefined;
  if (!d.line) return d.file;
  return d.column ? `${d.file}:${d.line}:${d.column}` : `${d.file}:${d.line}`;
}

/** `Error: CODE: summary`, then `on file:line[:column] address (attribute)` and the detail,
 * indented. No colours: callers add them. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [diagnosticPlace(d), d.address].filter(Boolean).join(' ');
  const attr = d.attribute ? ` (${d.attribute})` : '';
  const head = `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.code}: ${d.summary}`;
  const lines = [head];
  if (where) lines.push(`  on ${where}${attr}`);
  if (d.detail) lines.push(...d.detail.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}
