// The configuration model produced by the loader (src/engine/config/load.ts) from *.tf,
// *.tf.json and cdktf stack directories. Expressions stay unevaluated here: the graph and
// the planner evaluate them once their references are known.

import type { Diagnostic } from '../../model/diagnostics.js';
import type { Value } from '../../model/values.js';
import type { SourcePos } from '../../model/position.js';
import type { Reference } from '../../model/reference.js';

export type { SourcePos } from '../../model/position.js';

/** An unevaluated expression. `refs` are the roots of the traversals it reads as text
 * (`cmek_kms_key.k`, `var.region`, `local.x`, `count.index`), for messages. */
export interface Expr {
  /** Evaluate in a scope. Returns a Value (possibly Unknown) or throws DiagnosticError. */
  evaluate(scope: EvalScope): Value;
  readonly refs: readonly string[];
  /** The same references, structured (resource, instance key, attribute; var; local; count),
   * in the order of their text. A computed instance key (`k[var.i]`) is absent here. */
  readonly references: readonly Reference[];
  /** `references` with `count.index` and computed instance keys evaluated in a scope. */
  instanceReferences(scope: EvalScope): Reference[];
  readonly pos: SourcePos;
  /** The source text or a readable rendering, for messages. */
  readonly text: string;
}

/** What an expression can see. The engine implements this. */
export interface EvalScope {
  /** Resolve a root traversal: `var.NAME`, `local.NAME`, `count.index`, or a resource
   * `TYPE.NAME` (returning its attribute object, or a list of them with count). Return
   * undefined when it does not exist (the evaluator reports CONFIG_REFERENCE). */
  lookup(root: string, pos: SourcePos): Value | undefined;
  /** Base directory for `file()`. */
  baseDir: string;
  /** Optional: every root that exists (`var.x`, `local.y`, `TYPE.NAME`, `count.index`), so a
   * CONFIG_REFERENCE can say "did you mean" and list what is declared. */
  candidates?(): string[];
}

export interface Lifecycle {
  preventDestroy: boolean;
  createBeforeDestroy: boolean;
  /** Attribute names, or 'all'. */
  ignoreChanges: string[] | 'all';
  /** `precondition` blocks: checked before the instance is planned (docs/configuration.md). */
  preconditions?: Condition[];
  /** `postcondition` blocks: checked on the planned object (`self`), again after apply. */
  postconditions?: Condition[];
  /** `replace_triggered_by`: references (`TYPE.NAME`, `TYPE.NAME.ATTR`) whose change replaces
   * this resource. */
  replaceTriggeredBy?: Expr[];
}

/** A custom condition (`validation`, `precondition`, `postcondition`, a check's `assert`):
 * `condition` must be true, else `error_message` is reported at `pos`. */
export interface Condition {
  /** `validation`, `precondition`, `postcondition` or `assert`. */
  kind: 'validation' | 'precondition' | 'postcondition' | 'assert';
  condition: Expr;
  errorMessage: Expr;
  pos: SourcePos;
}

/** `data "TYPE" "NAME" { ... }`: a read-only lookup (docs/configuration.md, "Data sources"). */
export interface DataBlock {
  type: string;
  name: string;
  /** `data.TYPE.NAME`, or `module.a.data.TYPE.NAME` in a module instance. */
  address: string;
  /** The module instance path of a block of a child module; absent in the root module. */
  module?: string;
  attributes: Record<string, Expr>;
  dependsOn: string[];
  preconditions: Condition[];
  postconditions: Condition[];
  pos: SourcePos;
  /** Set for a data block nested in a `check` block: a failed read is a warning. */
  check?: string;
  /** The `count` / `for_each` meta-arguments: one read per instance (`data.TYPE.NAME[0]`,
   * `data.TYPE.NAME["k"]`), exclusive as on resources. */
  count?: Expr;
  forEach?: Expr;
}

/** `check "NAME" { data ... assert { ... } }`: assertions reported as warnings. */
export interface CheckBlock {
  name: string;
  asserts: Condition[];
  pos: SourcePos;
  /** The module instance (`module.a["x"]`) of a check block of a child module; absent in the
   * root module. Its address is `module.a["x"].check.NAME`. */
  module?: string;
}

export interface ResourceBlock {
  type: string;
  name: string;
  /** `TYPE.NAME`, or `module.a["x"].TYPE.NAME` in a module instance. */
  address: string;
  /** The module instance path (`module.a["x"]`) of a block of a child module; absent in the
   * root module. */
  module?: string;
  /** Attribute name → expression (nested blocks become object/list expressions). */
  attributes: Record<string, Expr>;
  count?: Expr;
  /** The `for_each` meta-argument (a map, or a set of strings); exclusive with count. */
  forEach?: Expr;
  /** Addresses (`TYPE.NAME`) from depends_on. */
  dependsOn: string[];
  lifecycle: Lifecycle;
  pos: SourcePos;
  /** The `provider` meta-argument as written (`aws.region2`); cmek itself has one provider,
   * `cmek policy check` reads it to find a foreign resource's region. */
  provider?: string;
}

export interface VariableBlock {
  name: string;
  default?: Value;
  type?: string;
  description?: string;
  sensitive: boolean;
  /** `validation` blocks; the condition may refer to this variable only. */
  validations?: Condition[];
  pos: SourcePos;
}

export interface OutputBlock {
  name: string;
  value: Expr;
  description?: string;
  sensitive: boolean;
  dependsOn: string[];
  /** `precondition` blocks of the output. */
  preconditions?: Condition[];
  pos: SourcePos;
}

export interface LocalValue {
  name: string;
  value: Expr;
  pos: SourcePos;
  /** Set when this local is a child module's output (module expansion): its name, the module
   * instance's address and whether it is declared sensitive. */
  output?: { name: string; module: string; sensitive: boolean };
}

/** `import { to = TYPE.NAME  id = "..." }` (Terraform 1.5+): bring an existing object under
 * the block at `to` (docs/cli/import.md). */
export interface ImportBlock {
  /** The target address as written: `TYPE.NAME`, `TYPE.NAME[N]` or `TYPE.NAME["KEY"]`; with
   * for_each, `TYPE.NAME[EXPR]` (see `toKey`). */
  to: string;
  /** The id of the object, evaluated at plan time (variables allowed; must be known). */
  id: Expr;
  pos: SourcePos;
  /** `for_each` (terraform 1.7+): one import per element, `each.key` / `each.value` in `id`
   * and in the target's key. */
  forEach?: Expr;
  /** With for_each: the target block (`TYPE.NAME`) and its key expression (`each.key`). */
  toBlock?: string;
  toKey?: Expr;
}

/** `moved { from = ADDR  to = ADDR }`: the object recorded at `from` is now at `to`
 * (docs/configuration.md, "moved and removed blocks"). Addresses as written. */
export interface MovedBlock {
  from: string;
  to: string;
  pos: SourcePos;
}

/** `removed { from = ADDR  lifecycle { destroy = BOOL } }`: the block at `from` is gone from
 * the configuration; its objects are destroyed (destroy = true, the default) or forgotten. */
export interface RemovedBlock {
  from: string;
  destroy: boolean;
  pos: SourcePos;
}

export interface ProviderBlock {
  /** Raw attribute expressions of `provider "cmek" {}`: data_dir, service_principal, kms {...}. */
  attributes: Record<string, Expr>;
  pos: SourcePos;
}

/** `module "NAME" { source = "./modules/x" ... }`: a call of a local module
 * (docs/configuration.md, "Modules"). The child is loaded as its own Config; the engine
 * expands the call into module instances (src/engine/config/expand.ts). */
export interface ModuleCall {
  name: string;
  /** `source` as written. */
  source: string;
  /** The module's directory relative to the root module's (`modules/db`): `path.module`. */
  dir: string;
  /** The child module's configuration (its resources, variables, outputs, ...). */
  config: Config;
  /** The call's arguments: the child's input variables by name. */
  args: Record<string, Expr>;
  count?: Expr;
  forEach?: Expr;
  /** `depends_on` as written (`TYPE.NAME`, `module.NAME`) in the calling module. */
  dependsOn: string[];
  pos: SourcePos;
  /** Where `source` is written. */
  sourcePos: SourcePos;
}

export interface Config {
  /** The working directory that was loaded (absolute). */
  dir: string;
  /** Local module calls of this module; absent = none (MODULES). */
  modules?: ModuleCall[];
  /** Set once the module calls are expanded into this configuration (expand.ts): the
   * resources, locals and data blocks of every module instance are then in the lists above,
   * with their full addresses. */
  expanded?: boolean;
  /** After expansion: the `validation` blocks of module instances' variables, by subject
   * (`module.a["x"].var.NAME`), their expressions in that instance's scope. */
  moduleValidations?: Array<{ subject: string; conditions: Condition[] }>;
  /** Files read, relative to dir. */
  files: string[];
  resources: ResourceBlock[];
  variables: VariableBlock[];
  locals: LocalValue[];
  outputs: OutputBlock[];
  /** `data` blocks (top level and inside `check` blocks); absent = none. */
  dataSources?: DataBlock[];
  /** `check` blocks; absent = none. */
  checks?: CheckBlock[];
  /** `import` blocks; absent = none. */
  imports?: ImportBlock[];
  /** `moved` blocks; absent = none. */
  moved?: MovedBlock[];
  /** `removed` blocks; absent = none. */
  removed?: RemovedBlock[];
  provider?: ProviderBlock;
  /** Provider blocks of other providers (`provider "aws" { region = ... }`), recorded but not
   * used by the engine; `cmek policy check` reads their region. */
  foreignProviders?: Array<{ name: string; attributes: Record<string, Expr>; pos: SourcePos }>;
  /** From `terraform { backend "TYPE" { ... } }`; default local with path terraform.tfstate.
   * `settings` holds the block's literal settings (docs/backends.md); `path` is the local
   * backend's. */
  backend: { type: 'local' | 'pg'; path: string; settings?: Record<string, string | boolean> };
  /** The selected workspace (`terraform.workspace`), set when the working directory is opened;
   * absent means "default". */
  workspace?: string;
}

export interface LoadResult {
  config: Config;
  diagnostics: Diagnostic[];
}
