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
import { containsUnknown, stripMarks, type Value } from '../model/values.js';
import type { Attrs, ProviderContext, ResourceType } from '../resources/types.js';
import type { Config, Expr, ImportBlock, ResourceBlock, SourcePos } from './config/types.js';
import { formatReference } from '../model/reference.js';
import {
  evalExpr,
  forEachInstances,
  makeScope,
  varsEnv,
  type EachBinding,
  type EvalEnv,
} from './eval.js';
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

/** An index beyond count (or a key for_each does not have) would be destroyed by the next plan:
 * the error refusing it, when the count or for_each is known from literals and variables (one
 * that reads locals or resources is checked by plan, markImports). */
function notAnInstance(
  target: ImportTarget,
  env: EvalEnv,
  pos?: SourcePos,
): Diagnostic | undefined {
  if (target.index === undefined) return undefined;
  const counted = expandBlock(target.block, env, []);
  if (!counted || counted.includes(target.index)) return undefined;
  return diag(
    'CONFIG_REFERENCE',
    `Configuration for import target ${target.address} does not exist`,
    target.block.forEach
      ? `${target.block.address}'s for_each has no key ${JSON.stringify(target.index)} (its keys: ${counted.map((k) => JSON.stringify(k)).join(', ') || 'none'}): import to one of them, or add the key.`
      : `${target.block.address} has count = ${counted.length}: import to an index below it, or raise the count.`,
    { address: target.address, ...where(pos ?? target.block.pos) },
  );
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

/** What is known before anything is planned: variables, `path.*`, `terraform.workspace`, and
 * the locals that read only those (evaluated on demand; a local that reads more is undefined). */
export function planTimeEnv(config: Config, vars: Record<string, Value>): EvalEnv {
  const byName = new Map(config.locals.map((l) => [l.name, l]));
  const cache = new Map<string, Value | undefined>();
  const env: EvalEnv = {
    ...varsEnv(vars, config.dir, config.workspace),
    locals: {
      get(name: string): Value | undefined {
        if (cache.has(name)) return cache.get(name);
        cache.set(name, undefined); // a cycle reads undefined (the planner reports it)
        const l = byName.get(name);
        const v =
          l && planTimeOffender(l.value, config) === undefined
            ? evalExpr(l.value, makeScope(env), [])
            : undefined;
        cache.set(name, v);
        return v;
      },
    },
  };
  return env;
}

/** The first reference of `e`, directly or through locals, whose value is not known before
 * anything is planned (a resource, a data source, a module, count); `each` is allowed with
 * `allowEach`. Undefined when `e` can be evaluated by planTimeEnv. */
export function planTimeOffender(
  e: Expr,
  config: Config,
  allowEach = false,
  seen = new Set<string>(),
): string | undefined {
  for (const r of e.references) {
    if (r.kind === 'var' || (r.kind === 'each' && allowEach)) continue;
    if (r.kind === 'other' && (r.root.startsWith('path.') || r.root === 'terraform.workspace'))
      continue;
    if (r.kind === 'local') {
      if (seen.has(r.name)) continue;
      seen.add(r.name);
      const l = config.locals.find((x) => x.name === r.name);
      const inner = l && planTimeOffender(l.value, config, false, seen);
      if (inner) return inner;
      continue;
    }
    return formatReference(r);
  }
  return undefined;
}

/** The id of an import block: a string known at plan time, from literals, variables and locals
 * of those (and `each` with for_each: `each` is then the element's binding). */
function importId(
  imp: ImportBlock,
  config: Config,
  vars: Record<string, Value>,
  each?: EachBinding,
  to = imp.to,
) {
  const diagnostics: Diagnostic[] = [];
  // The block's line: the loader cannot tell the attribute lines of repeated unlabelled blocks.
  const at = { address: to, attribute: 'id', file: imp.pos.file, line: imp.pos.line };
  const other = planTimeOffender(imp.id, config, !!imp.forEach);
  if (other) {
    diagnostics.push(
      diag(
        'CONFIG_REFERENCE',
        'Invalid import id',
        `The import block "id" argument depends on ${other}, which is not known at plan time: the object is read before any resource is planned, so the id may use literals, variables and locals of those only. Write the id, or pass it in as a variable.`,
        at,
      ),
    );
    return { diagnostics };
  }
  const v = evalExpr(imp.id, makeScope(planTimeEnv(config, vars), each), diagnostics);
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

/** One import an import block asks for: the block itself, or one per for_each element with its
 * target address and `each` (terraform 1.7+). */
interface ImportItem {
  imp: ImportBlock;
  to: string;
  each?: EachBinding;
}

/** The imports of the configuration's import blocks, for_each expanded (its value from literals
 * and variables, with terraform's for_each rules), each target's key evaluated with `each`. Two
 * imports to one address are an error at the second. `validateOnly`: a for_each not known yet
 * gives no imports and no error. */
export function expandImports(
  config: Config,
  vars: Record<string, Value>,
  validateOnly = false,
): { items: ImportItem[]; diagnostics: Diagnostic[] } {
  const imports = config.imports ?? [];
  const env = planTimeEnv(config, vars);
  const diagnostics: Diagnostic[] = [];
  const items: ImportItem[] = [];
  const seen = new Map<string, SourcePos>();
  const add = (item: ImportItem) => {
    const address = canonical(item.to) ?? item.to;
    const first = seen.get(address);
    if (first) {
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Duplicate import configuration for "${address}"`,
          `${address} is already imported by ${first === item.imp.pos ? 'another for_each element of this import block' : 'the import block'} at ${first.file}:${first.line}. An object can be imported to one address once: give each element its own key in import.to.`,
          { address, ...where(item.imp.pos) },
        ),
      );
      return;
    }
    seen.set(address, item.imp.pos);
    items.push(item);
  };
  for (const imp of imports) {
    if (!imp.forEach) {
      add({ imp, to: imp.to });
      continue;
    }
    const at = { address: imp.to, attribute: 'for_each', ...where(imp.pos) };
    const other = planTimeOffender(imp.forEach, config);
    if (other) {
      diagnostics.push(
        diag(
          'CONFIG_REFERENCE',
          'Invalid import for_each',
          `The import block "for_each" argument depends on ${other}: cmek evaluates it before any resource is planned, so it may use literals, variables and locals of those only. Pass the map in as a variable.`,
          at,
        ),
      );
      continue;
    }
    const found: Diagnostic[] = [];
    const elements = forEachInstances(
      { address: imp.to, forEach: imp.forEach },
      makeScope(env),
      found,
      validateOnly,
    );
    diagnostics.push(...found.map((d) => ({ ...d, ...where(imp.pos) })));
    if (!elements) continue;
    for (const each of elements) {
      if (!imp.toKey || !imp.toBlock) {
        add({ imp, to: imp.to, each });
        continue;
      }
      const keyDiags: Diagnostic[] = [];
      const key = evalExpr(imp.toKey, makeScope(env, each), keyDiags);
      const plainKey = key === undefined ? undefined : stripMarks(key);
      if (typeof plainKey !== 'string' && typeof plainKey !== 'number') {
        diagnostics.push(
          ...keyDiags.map((d) => ({ ...d, ...where(imp.pos) })),
          ...(keyDiags.length
            ? []
            : [
                diag(
                  'CONFIG_SCHEMA',
                  'Invalid import address',
                  `The key of import.to (${imp.toKey.text}) must be a known string or number; for each.key = ${JSON.stringify(each.key)} it is ${JSON.stringify(plainKey ?? null)}.`,
                  { address: imp.to, attribute: 'to', ...where(imp.pos) },
                ),
              ]),
        );
        continue;
      }
      add({ imp, to: `${imp.toBlock}${formatKey(plainKey)}`, each });
    }
  }
  return { items, diagnostics };
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
  const expanded = expandImports(sc.config, vars, opts.check);
  diagnostics.push(...expanded.diagnostics);
  for (const { imp, to, each } of expanded.items) {
    const t = importTarget(sc.config, to, imp.pos);
    diagnostics.push(...t.diagnostics);
    const target = t.target;
    if (!target || opts.check) continue;
    if (inState.has(target.address)) continue;
    if (!inScope(opts.scope, target.block.address, target.address)) continue;
    const rt = sc.deps.resourceTypes[target.type];
    if (!rt) continue; // checkBlocks reports the unknown type
    const outside = notAnInstance(target, planTimeEnv(sc.config, vars), imp.pos);
    if (outside) {
      diagnostics.push(outside);
      continue;
    }
    const r = importId(imp, sc.config, vars, each, target.address);
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
    const imp = (config.imports ?? []).find(
      (i) => canonical(i.to) === address || (i.toBlock && address.startsWith(`${i.toBlock}[`)),
    );
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
  const outside = notAnInstance(target, planTimeEnv(ws.config, settings.variables));
  if (outside) return { diagnostics: [outside] };
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
