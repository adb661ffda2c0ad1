// What the engine needs from the other layers (configuration, resources, rules), as one value.
// The engine's functions take it as an option so unit tests can plan and apply fake resource
// types, and the defaults (src/engine/defaults.ts) wire in the real ones.

import type { Diagnostic } from '../model/diagnostics.js';
import type { Attrs, ProviderContext, ProviderSettings, ResourceType } from '../resources/types.js';
import type { KeyView, RuleInput } from '../rules/model.js';
import type { Config, LoadResult, SourcePos } from './config/types.js';
import type { Value } from '../model/values.js';

/** One planned change as the rules adapter (`cmekRuleInput`) reads it. */
export interface RuleChange {
  address: string;
  type: string;
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  before: Attrs | null;
  after: Attrs | null;
  pos?: SourcePos;
  attrPos?: Record<string, SourcePos>;
  /** Attribute → address of the resource its expression reads (`kms_key` → `cmek_kms_key.k`). */
  refs?: Record<string, string>;
}

export interface RuleAdapterOptions {
  servicePrincipal: string;
  /** Facts about a key named by a literal reference (ARN, key id, alias) that is not a
   * resource of this configuration. */
  resolveKey?: (ref: string) => KeyView | undefined;
  external?: RuleInput['external'];
  /** Account of keys this plan creates (the local KMS: 000000000000), so a key without a
   * policy resource is checked against AWS's default policy for that account. */
  keyAccount?: string;
}

export interface KeyUse {
  /** Id of the user (service id): uses by resources of this state are the plan's business. */
  id: string;
  description: string;
  /** The key reference it uses (ARN, key id, alias). */
  keyRef: string;
}

export interface VariableInputsLike {
  cliVars: Record<string, string>;
  fileVars?: Record<string, Value>;
  env: Record<string, string | undefined>;
}

/** A data source the engine can read (`data "TYPE" "NAME"`, docs/configuration.md): the
 * declarations of src/resources/data-sources.ts, wired in by defaults.ts. */
export interface DataSourceType {
  type: string;
  /** The one argument: the name of the object to look up (`key_id`, `name`). */
  lookup: string;
  /** The resource type whose object it reads (its key facts feed the CMEK rules). */
  resource: string;
  /** Look the object up; not found is a DiagnosticError (IMPORT_NOT_FOUND). */
  read(config: Record<string, Value>, ctx: ProviderContext): Promise<Attrs>;
}

export interface EngineDeps {
  resourceTypes: Record<string, ResourceType>;
  /** Data sources by type; absent = none (a data block is then an unsupported type). */
  dataSources?: Record<string, DataSourceType>;
  createProviderContext(settings: ProviderSettings): Promise<ProviderContext>;
  loadConfig(dir: string): Promise<LoadResult> | LoadResult;
  resolveVariables(
    config: Config,
    inputs: VariableInputsLike,
  ): { values: Record<string, Value>; diagnostics: Diagnostic[] };
  /** Variable files (terraform.tfvars, *.auto.tfvars, -var-file); optional. */
  loadVarFiles?(
    dir: string,
    files: string[],
  ): Promise<{ values: Record<string, Value>; diagnostics: Diagnostic[] }>;
  /** Things in the real world that use keys (services of the control plane), so deleting a key
   * still used by something outside this configuration is CMEK_KEY_IN_USE. Optional. */
  keyUses?(ctx: ProviderContext): Promise<KeyUse[]>;
  cmekRuleInput(changes: RuleChange[], opts: RuleAdapterOptions): RuleInput;
  checkRules(input: RuleInput): Diagnostic[];
}
