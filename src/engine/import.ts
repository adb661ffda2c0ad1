// Import: bring an object that exists already (a key, a key policy, a service, a backup) under a
// resource block, as terraform does with `terraform import ADDR ID` and `import {}` blocks
// (docs/cli/import.md). The resource type turns the id into what its `read` needs
// (ResourceType.importState), `read` gives the object's attributes, and they are recorded in
// the state at the address; the next plan diffs them against the configuration like any other
// object. `importStep` is the planner's step for import blocks; `importResource` is the verb.

import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import {
  formatKey,
  formatResourceAddress,
  instanceRef,
  parseResourceAddress,
  type InstanceKey,
  type InstanceRef,
} from '../model/address.js';
import { containsUnknown, type Value } from '../model/values.js';
import type { Attrs, ProviderContext, ResourceType } from '../resources/types.js';
import type { Config, ImportBlock, ResourceBlock, SourcePos } from './config/types.js';
import { evalExpr, makeScope, varsEnv } from './eval.js';
import { inScope, type Scope, type StepContext } from './plan-steps.js';
import type { PlannedChange } from './plan-types.js';
import { emptyState, setInstance, stateInstances, type StateFile } from './state.js';
import { errorMessage } from './util.js';
import {
  engineDeps,
  loadWorkspaceState,
  lockWorkspace,
  stateSink,
  openWorkspace,
  resolveSettings,
  type EngineOptions,
} from './index.js';
import { expandModules } from './expand.js';
import { expandBlock } from './plan-steps.js';
import { StateWriter } from './state.js';

/** An import address resolved against the configuration. */
export interface ImportTarget extends Omit<InstanceRef, 'block'> {
  block: ResourceBlock;
}

function canonical(to: string): string | undefined {
  const a = parseResourceAddress(to);
  return a.ok ? formatResourceAddress(a.address) : undefined;
}

const where = (pos?: SourcePos) => (pos ? { file: pos.file, line: pos.line } : {});

/** The block an import address names: it must be declared (terraform imports only into
 * configured resources), with an index exactly when the block has `count`. `pos`: the import
 * block, for its diagnostics. */
export function importTarget(
  config: Config,
  to: string,
  pos?: SourcePos,
): { target?: ImportTarget; diagnostics: Diagnostic[] } {
  const parsed = parseResourceAddress(to);
  if (!parsed.ok || parsed.address.mode === 'data')
    return {
      diagnostics: [
        diag(
          'USAGE',
          `Invalid resource address "${to}"`,
          `${parsed.ok ? 'A data source cannot be imported. ' : `${parsed.error}\n`}` +
            'Write TYPE.NAME, TYPE.NAME[N] for one instance of a block with count (e.g. cmek_kms_key.k[0]), or TYPE.NAME["KEY"] for one with for_each; in a module instance, module.NAME.TYPE.NAME.',
          where(pos),
        ),
      ],
    };
  const { block: blockAddr, ...a } = instanceRef(parsed.address);
  const address = a.address;
  const block = config.resources.find((b) => b.address === blockAddr);
  const fail = (summary: string, detail: string) => ({
    diagnostics: [diag('CONFIG_REFERENCE', summary, detail, { address, ...where(pos) })],
  });
  if (!block)
    return fail(
      `Configuration for import target ${address} does not exist`,
      `The configuration has no resource block ${blockAddr}. Write resource "${a.type}" "${a.name}" { ... } ` +
        'with the settings of the object first: import records the object in the state, and the next plan compares it with that block.',
    );
  if (block.count && typeof a.index !== 'number')
    return fail(
      `${blockAddr} has count: import to one instance`,
      `Name the instance the object becomes by its index, e.g. ${blockAddr}[0].`,
    );
  if (block.forEach && typeof a.index !== 'string')
    return fail(
      `${blockAddr} has for_each: import to one instance`,
      `Name the instance the object becomes by its for_each key, e.g. ${blockAddr}["KEY"].`,
    );
  if (!block.count && !block.forEach && a.index !== undefined)
    return fail(
      `${blockAddr} has no count or for_each: import to ${blockAddr}`,
      `The key ${formatKey(a.index)} only exists for a block with count or for_each.`,
    );
  return { target: { ...a, block }, diagnostics: [] };
}

/** Read the object `id` names through its resource type: importState (or `{ id }`), then
 * read. Throws DiagnosticError(IMPORT_NOT_FOUND) when there is no such object. */
export async function readForImport(
  rt: ResourceType,
  address: string,
  id: string,
  ctx: ProviderContext,
  pos?: SourcePos,
): Promise<Attrs> {
  const located = (d: Diagnostic): Diagnostic => ({ address, ...where(pos), ...d });
  let found: Attrs | null;
  try {
    const seed = rt.importState ? await rt.importState(id, ctx) : { id };
    found = seed ? await rt.read(seed, ctx) : null;
  } catch (e) {
    if (e instanceof DiagnosticError) throw new DiagnosticError(e.diagnostics.map(located));
    throw new DiagnosticError(
      located(
        diag(
          'IMPORT_NOT_FOUND',
          `Cannot import ${address}: reading ${JSON.stringify(id)} failed`,
          `${errorMessage(e)}\nCheck the id: a key is named by its key id, ARN or alias, a service by its id or name, a backup by its id.`,
        ),
      ),
    );
  }
  if (!found)
    throw new DiagnosticError(
      located(
        diag(
          'IMPORT_NOT_FOUND',
          `Cannot import non-existent remote object ${JSON.stringify(id)}`,
          `There is no ${rt.type} with id ${JSON.stringify(id)} (a key pending deletion counts as gone). ` +
            'Check the id with cmek kms ls, cmek service ls or cmek backup ls, and that provider "cmek" { data_dir } points at the data directory that holds it.',
        ),
      ),
    );
  return found;
}

/** Record an imported object in `state` (mutated). */
export function recordImport(
  state: StateFile,
  t: { type: string; name: string; index?: InstanceKey; module?: string },
  attributes: Attrs,
): void {
  setInstance(
    state,
    t.type,
    t.name,
    t.index,
    { schema_version: 0, attributes, sensitive_attributes: [] },
    t.module,
  );
}

/** The id of an import block: a string known at plan time, from literals and variables. */
function importId(imp: ImportBlock, vars: Record<string, Value>, baseDir: string) {
  const diagnostics: Diagnostic[] = [];
  // The block's line: the loader cannot tell the attribute lines of repeated unlabelled blocks.
  const at = { address: imp.to, attribute: 'id', file: imp.pos.file, line: imp.pos.line };
  const other = imp.id.references.find((r) => r.kind !== 'var');
  if (other) {
    diagnostics.push(
      diag(
        'CONFIG_REFERENCE',
        'Invalid import id',
        `The import block "id" argument depends on ${imp.id.text}, which is not known at plan time: the object is read before any resource is planned, so the id may use literals and variables only. Write the id, or pass it in as a variable.`,
        at,
      ),
    );
    return { diagnostics };
  }
  const v = evalExpr(imp.id, makeScope(varsEnv(vars, baseDir)), diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics: diagnostics.map((d) => ({ ...at, ...d })) };
  if (v === undefined || containsUnknown(v ?? null) || typeof v !== 'string' || v === '') {
    const unknown = v !== undefined && containsUnknown(v ?? null);
    diagnostics.push(
      diag(
        'CONFIG_SCHEMA',
        'Invalid import id',
        unknown
          ? 'The import block "id" argument depends on a value that is not known yet (a variable without a value). Give it a value: the object is read at plan time.'
          : `The import id must be a non-empty string; found ${JSON.stringify(v ?? null)}.`,
        at,
      ),
    );
    return { diagnostics };
  }
  return { id: v, diagnostics };
}

export interface ImportStepResult {
  /** The prior state with the imported objects recorded (the input when nothing was imported). */
  priorState: StateFile | null;
  /** Address → id of each object imported by this plan. */
  importing: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** The planner's step for `import` blocks: each block whose address the state does not have
 * yet reads its object and records it in the prior state the walk diffs against, so the plan
 * shows the import and any update the configuration asks for. A block whose address is already
 * in state does nothing (terraform's behaviour once the import is applied). Skipped with
 * -destroy and -refresh-only; `check` only checks the blocks (validate). */
export async function importStep(
  sc: StepContext,
  state: StateFile | null,
  vars: Record<string, Value>,
  opts: { scope: Scope; check?: boolean },
): Promise<ImportStepResult> {
  const diagnostics: Diagnostic[] = [];
  const importing = new Map<string, string>();
  const imports = sc.config.imports ?? [];
  if (!imports.length) return { priorState: state, importing, diagnostics };
  const inState = new Set(
    stateInstances(state)
      .filter((e) => !e.deposed)
      .map((e) => e.address),
  );
  let next: StateFile | null = null;
  for (const imp of imports) {
    const t = importTarget(sc.config, imp.to, imp.pos);
    diagnostics.push(...t.diagnostics);
    const target = t.target;
    if (!target || opts.check) continue;
    if (inState.has(target.address)) continue;
    if (!inScope(opts.scope, target.block.address, target.address)) continue;
    const rt = sc.deps.resourceTypes[target.type];
    if (!rt) continue; // checkBlocks reports the unknown type
    const r = importId(imp, vars, sc.config.dir);
    diagnostics.push(...r.diagnostics);
    if (r.id === undefined) continue;
    try {
      const attrs = await readForImport(rt, target.address, r.id, await sc.getCtx(), imp.pos);
      next ??= state ? structuredClone(state) : emptyState();
      recordImport(next, target, attrs);
      importing.set(target.address, r.id);
    } catch (e) {
      if (e instanceof DiagnosticError) diagnostics.push(...e.diagnostics);
      else throw e;
    }
  }
  return { priorState: next ?? state, importing, diagnostics };
}

/** Mark the planned changes of imported objects (`change.importing` in plan -json). An
 * imported address the walk did not plan (an index beyond count) is an error: the object would
 * be imported and destroyed in one run. */
export function markImports(
  config: Config,
  importing: Map<string, string>,
  changes: PlannedChange[],
  planned: Set<string>,
): Diagnostic[] {
  const diags: Diagnostic[] = [];
  for (const c of changes) {
    const id = importing.get(c.address);
    if (id !== undefined && c.action !== 'delete') c.importing = { id };
  }
  for (const [address] of importing) {
    if (planned.has(address)) continue;
    const imp = (config.imports ?? []).find((i) => canonical(i.to) === address);
    diags.push(
      diag(
        'CONFIG_REFERENCE',
        `Configuration for import target ${address} does not exist`,
        `The block's count or for_each does not include ${address}. Import to an instance the block has, or change its count or for_each.`,
        { address, ...where(imp?.pos) },
      ),
    );
  }
  return diags;
}

export interface ImportOptions extends EngineOptions {
  /** `-var K=V` values and `-var-file` paths, for the provider block and count. */
  cliVars?: Record<string, string>;
  varFiles?: string[];
  env?: Record<string, string | undefined>;
}

export interface ImportResult {
  /** The imported object (undefined when the import failed). */
  imported?: { address: string; type: string; id: string; attributes: Attrs };
  diagnostics: Diagnostic[];
}

/** `cmek import ADDR ID`: read the object `id` names through the resource type of ADDR and
 * record it in the state at ADDR, under the state lock. ADDR must be declared in the
 * configuration and not be in the state yet. Nothing is created or changed. */
export async function importResource(
  to: string,
  id: string,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const deps = await engineDeps(opts.deps);
  const ws = opts.workspace ?? (await openWorkspace(opts.dir, deps));
  if (hasErrors(ws.diagnostics)) return { diagnostics: ws.diagnostics };
  // Variables (and their files) first: a missing -var-file is reported whatever the address.
  const settings = await resolveSettings(ws, deps, opts);
  if (hasErrors(settings.diagnostics)) return { diagnostics: settings.diagnostics };
  // MODULES: a module instance's resources are where import can find them.
  const expanded = expandModules(ws.config, settings.variables);
  if (hasErrors(expanded)) return { diagnostics: expanded };
  const t = importTarget(ws.config, to);
  if (!t.target) return { diagnostics: t.diagnostics };
  const target = t.target;
  const rt = deps.resourceTypes[target.type];
  if (!rt)
    return {
      diagnostics: [
        diag(
          'CONFIG_UNSUPPORTED',
          `Unsupported resource type "${target.type}"`,
          `cmek imports ${Object.keys(deps.resourceTypes).sort().join(', ')}.`,
          { address: target.address, ...where(target.block.pos) },
        ),
      ],
    };
  const diagnostics = [...ws.diagnostics, ...settings.diagnostics];
  // An index beyond count would be destroyed by the next plan: refuse it now when the count is
  // known from literals and variables (one that reads locals or resources is checked by plan).
  if (target.index !== undefined) {
    const counted = expandBlock(
      target.block,
      varsEnv(settings.variables, ws.dir, ws.workspace),
      [],
    );
    if (counted && !counted.includes(target.index))
      return {
        diagnostics: [
          diag(
            'CONFIG_REFERENCE',
            `Configuration for import target ${target.address} does not exist`,
            target.block.forEach
              ? `${target.block.address}'s for_each has no key ${JSON.stringify(target.index)} (its keys: ${counted.map((k) => JSON.stringify(k)).join(', ') || 'none'}): import to one of them, or add the key.`
              : `${target.block.address} has count = ${counted.length}: import to an index below it, or raise the count.`,
            { address: target.address, ...where(target.block.pos) },
          ),
        ],
      };
  }
  let lock;
  try {
    lock =
      opts.lock === false
        ? undefined
        : await lockWorkspace(ws, 'OperationTypeImport', opts.lockTimeoutMs ?? 0);
  } catch (e) {
    if (e instanceof DiagnosticError) return { diagnostics: e.diagnostics };
    throw e;
  }
  try {
    const loaded = await loadWorkspaceState(ws);
    if (hasErrors(loaded.diagnostics)) return { diagnostics: loaded.diagnostics };
    if (stateInstances(loaded.state).some((e) => e.address === target.address && !e.deposed))
      return {
        diagnostics: [
          diag(
            'USAGE',
            `Resource already managed by cmek: ${target.address}`,
            `The state already has an object at ${target.address}. To import another object there, first forget this one with cmek state rm ${target.address} (it is not destroyed), or import to another address.`,
            { address: target.address },
          ),
        ],
      };
    const ctx = opts.ctx ?? (await deps.createProviderContext(settings.settings));
    let attributes: Attrs;
    try {
      attributes = await readForImport(rt, target.address, id, ctx);
    } catch (e) {
      if (e instanceof DiagnosticError) return { diagnostics: [...diagnostics, ...e.diagnostics] };
      throw e;
    }
    const state = loaded.state ?? emptyState();
    recordImport(state, target, attributes);
    await new StateWriter(stateSink(ws), state, loaded.text).persist();
    return {
      imported: { address: target.address, type: target.type, id, attributes },
      diagnostics,
    };
  } finally {
    await lock?.release();
  }
}
