// The plan value (what `cmek plan -out` saves and `cmek apply` reads) and the planner's inputs
// and options.

import type { InstanceKey } from '../model/address.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { SensitivePath, Value } from '../model/values.js';
import type { Attrs, ProviderContext, ProviderSettings } from '../resources/types.js';
import type { Config, SourcePos } from './config/types.js';
import type { EngineDeps } from './deps.js';
import type { StateFile } from './state.js';

export const PLAN_FORMAT_VERSION = 1;

/** `forget`: a `removed` block with `lifecycle { destroy = false }`: the object leaves the
 * state and is not destroyed. */
export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'forget' | 'noop';

export type ActionReason =
  | 'replace_because_cannot_update'
  | 'replace_because_tainted'
  | 'replace_by_request'
  | 'delete_because_no_resource_config'
  | 'delete_because_count_index'
  | 'delete_because_each_key'
  | 'delete_because_wrong_repetition'
  | 'delete_because_no_resource_config_destroy_mode'
  | 'replace_by_triggers';

export interface PlannedChange {
  /** Instance address: `TYPE.NAME`, `TYPE.NAME[i]` or `TYPE.NAME["key"]`. */
  address: string;
  /** Block address `TYPE.NAME`. */
  block: string;
  /** The module instance (`module.a["x"]`) of a child module's resource; absent in the root. */
  module?: string;
  type: string;
  name: string;
  index?: InstanceKey;
  /** Set when this deletes a deposed object (the old half of an interrupted
   * create_before_destroy replacement). */
  deposed?: string;
  /** The address the object had before (terraform's `previous_address`): a `moved` block moved
   * it (the prior state of the plan already has it at `address`), or `count` was added
   * (`x` → `x[0]`) or removed (`x[0]` → `x`) and apply re-keys it in the state (Terraform moves
   * it instead of replacing it). */
  movedFrom?: string;
  /** Set when an `import` block brings the object under this address in this plan (terraform's
   * `change.importing`): `before` is the object as read, `action` what else the configuration
   * asks (often `noop`). */
  importing?: { id: string };
  action: ChangeAction;
  /** Prior attributes (after refresh), null on create. */
  before: Attrs | null;
  /** Proposed attributes, null on delete. In memory it may hold Unknown; serialized, unknown
   * places are null and listed in `afterUnknown`. */
  after: Attrs | null;
  afterUnknown: boolean | Record<string, unknown> | unknown[];
  /** Paths of `before` / `after` that are sensitive (docs/configuration.md): shown as
   * `(sensitive value)`, `before_sensitive` / `after_sensitive` in JSON. Absent: none. */
  beforeSensitive?: SensitivePath[];
  afterSensitive?: SensitivePath[];
  /** Attribute paths that force replacement (Terraform's replace_paths). */
  replacePaths: string[][];
  actionReason?: ActionReason;
  /** Reasons for notable changes per attribute (rotations and the like). */
  notes?: Record<string, string>;
  /** Resource blocks this instance depends on (from the configuration, or from state for
   * resources no longer configured). */
  dependencies: string[];
  createBeforeDestroy: boolean;
  preventDestroy: boolean;
  /** Where the block is (absent for resources only in state). */
  pos?: SourcePos;
}

export interface DriftEntry {
  address: string;
  block: string;
  type: string;
  name: string;
  index?: InstanceKey;
  action: 'update' | 'delete';
  before: Attrs;
  after: Attrs | null;
  /** Sensitive paths of the object (from the state and the type's declaration). */
  sensitive?: SensitivePath[];
}

export interface OutputChange {
  action: 'create' | 'update' | 'delete' | 'noop';
  before: Value | null;
  after: Value | null;
  afterUnknown: boolean;
  sensitive: boolean;
}

export interface Plan {
  cmek_plan_format: typeof PLAN_FORMAT_VERSION;
  createdAt: string;
  /** `refresh-only`: the plan only brings the state in line with the real objects (drift);
   * it has no resource changes. */
  mode: 'normal' | 'destroy' | 'refresh-only';
  refresh: boolean;
  /** `-target` addresses the plan was limited to (absent: the whole configuration). */
  targets?: string[];
  /** Variable values the plan was made with; apply re-evaluates with the same ones. */
  variables: Record<string, Value>;
  /** sha256 over the configuration files: applying a plan after the configuration changed
   * would apply something nobody reviewed. */
  configDigest: string;
  /** Lineage and serial of the state the plan was made against (null: no state yet). */
  prior: { lineage: string; serial: number } | null;
  /** The prior state after refresh (what apply starts from). */
  priorState: StateFile | null;
  changes: PlannedChange[];
  /** Data sources (docs/configuration.md, "Data sources"): read at plan time (`result`), or
   * deferred to apply (`deferred` says why). Absent: none. */
  reads?: DataRead[];
  /** Conditions (postconditions, output preconditions, check asserts) whose values were unknown
   * at plan time: apply checks them once the values are known. Absent: none. */
  deferredConditions?: string[];
  drift: DriftEntry[];
  outputChanges: Record<string, OutputChange>;
  diagnostics: Diagnostic[];
  errored: boolean;
}

/** One data source read of a plan: `<= read` in the plan output. */
export interface DataRead {
  /** `data.TYPE.NAME` (`module.a.data.TYPE.NAME` in a module instance), with the instance key
   * when the block has count or for_each. */
  address: string;
  /** The module instance of a child module's data source; absent in the root. */
  module?: string;
  type: string;
  name: string;
  /** The instance key (count index or for_each key), when the block has count or for_each. */
  index?: InstanceKey;
  /** What it was read with (the lookup argument), when known. */
  config: Attrs;
  /** Arguments not known until apply. */
  unknownArgs?: string[];
  /** The object read, or null when the read is deferred to apply. */
  result: Attrs | null;
  /** Why the read waits for apply (an argument not known yet, or a dependency with changes). */
  deferred?: string;
  /** The check block the data block is scoped to, if any. */
  check?: string;
  pos?: SourcePos;
}

export interface PlanOptions {
  deps: EngineDeps;
  /** Destroy everything in state (`plan -destroy`, `cmek destroy`). */
  destroy?: boolean;
  /** Read every resource in state first and report drift (default true). */
  refresh?: boolean;
  /** `-var K=V` values (strings, parsed by the variable resolver). */
  cliVars?: Record<string, string>;
  /** Environment for TF_VAR_*; default process.env. */
  env?: Record<string, string | undefined>;
  /** Variable values already resolved (apply of a saved plan). Takes precedence over cliVars. */
  variables?: Record<string, Value>;
  /** A provider context to reuse (refresh and key lookups need one). Created lazily otherwise. */
  ctx?: ProviderContext;
  /** Bound for parallel refresh reads. Default 10. */
  parallelism?: number;
  /** `-target`: plan only these resources (`TYPE.NAME` or `TYPE.NAME[i]`) and what they
   * depend on. */
  targets?: string[];
  /** `-replace`: plan these instances for replacement even when nothing changed. */
  replace?: string[];
  /** `-refresh-only`: update the state to match the real objects; plan no resource changes. */
  refreshOnly?: boolean;
  /** `cmek validate`: variables may be unknown, so a count that is unknown plans no instances
   * instead of being an error. */
  validateOnly?: boolean;
}

/** What the planner needs besides the config: the prior state (already loaded, unlocked reads
 * are the caller's business) and the provider settings. */
export interface PlanInputs {
  config: Config;
  state: StateFile | null;
  settings: ProviderSettings;
}
