// Edits of the state that change no real object: `taint`/`untaint` (mark an instance so the
// next plan replaces it, Terraform's `"status": "tainted"`) and `state mv` (rename an address).
// Each runs under the state lock and writes through StateWriter (serial + 1, `.backup` kept).
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import {
  formatAddress,
  formatModulePath,
  instanceRef,
  moveModulePath,
  parseModuleAddress,
  parseResourceAddress,
  type InstanceKey,
  type InstanceRef,
  type ModuleStep,
} from '../model/address.js';
import { defaultDeps } from './defaults.js';
import {
  loadWorkspaceState,
  lockWorkspace,
  openWorkspace,
  stateSink,
  type EngineOptions,
} from './index.js';
import {
  isManaged,
  setInstance,
  sortResources,
  stateInstances,
  withModule,
  StateWriter,
  type StateFile,
  type StateInstance,
} from './state.js';

const LIST_HINT = 'See the addresses with: cmek state list';

function badAddress(address: string, why?: string): Diagnostic {
  return diag(
    'USAGE',
    `Invalid resource address "${address}"`,
    `${why ? `${why}\n` : ''}Write TYPE.NAME, TYPE.NAME[N] for one instance of a block with count (e.g. cmek_kms_key.k[0]), or TYPE.NAME["KEY"] for one with for_each (quoted for the shell: 'cmek_kms_key.k["eu"]').`,
  );
}

/** An address of the state, parsed: its canonical text (terraform's quoting), its block. */
type StateAddress = InstanceRef;

function parseStateAddress(text: string): StateAddress | Diagnostic {
  const r = parseResourceAddress(text);
  if (!r.ok) return badAddress(text, r.error);
  if (r.address.mode === 'data') return badAddress(text, 'A data source is not kept in the state.');
  return instanceRef(r.address);
}

const isDiag = (x: StateAddress | Diagnostic): x is Diagnostic => 'code' in x;

/** Lock, load, let `edit` change the state, write it if `edit` says so. */
async function editState<T>(
  operation: string,
  opts: EngineOptions,
  edit: (state: StateFile | null) => { result: T; diagnostics: Diagnostic[]; write: boolean },
): Promise<{ result?: T; diagnostics: Diagnostic[] }> {
  const ws = opts.workspace ?? (await openWorkspace(opts.dir, opts.deps ?? defaultDeps));
  let lock;
  try {
    lock = opts.lock === false ? undefined : await lockWorkspace(ws, operation, opts.lockTimeoutMs);
  } catch (e) {
    if (e instanceof DiagnosticError) return { diagnostics: e.diagnostics };
    throw e;
  }
  try {
    const loaded = await loadWorkspaceState(ws);
    if (hasErrors(loaded.diagnostics)) return { diagnostics: loaded.diagnostics };
    const r = edit(loaded.state);
    if (r.write && loaded.state && !hasErrors(r.diagnostics))
      await new StateWriter(stateSink(ws), loaded.state, loaded.text).persist();
    return { result: r.result, diagnostics: r.diagnostics };
  } finally {
    await lock?.release();
  }
}

/** `cmek taint ADDR` (tainted = true) / `cmek untaint ADDR` (false). */
export function setTainted(
  address: string,
  tainted: boolean,
  opts: EngineOptions = {},
): Promise<{ result?: boolean; diagnostics: Diagnostic[] }> {
  const parsed = parseStateAddress(address);
  if (isDiag(parsed)) return Promise.resolve({ diagnostics: [parsed] });
  address = parsed.address;
  return editState(tainted ? 'OperationTypeTaint' : 'OperationTypeUntaint', opts, (state) => {
    const entries = stateInstances(state).filter((e) => !e.deposed);
    const hit = entries.find((e) => e.address === address);
    if (!hit) {
      const keyed = entries.find((e) => e.block === address && e.index !== undefined);
      return {
        result: false,
        write: false,
        diagnostics: [
          diag(
            'USAGE',
            `No resource instance ${address} in the state`,
            keyed
              ? `${address} has ${typeof keyed.index === 'string' ? 'for_each' : 'count'}: name one instance, e.g. ${keyed.address}. ${LIST_HINT}`
              : `cmek ${tainted ? 'taint' : 'untaint'} works on objects already created. ${LIST_HINT}`,
          ),
        ],
      };
    }
    if (!tainted && hit.instance.status !== 'tainted') {
      return {
        result: false,
        write: false,
        diagnostics: [
          diag(
            'USAGE',
            `Resource instance ${address} is not tainted`,
            'Only a tainted instance can be untainted (cmek state show prints its status).',
          ),
        ],
      };
    }
    if (tainted) hit.instance.status = 'tainted';
    else delete hit.instance.status;
    return { result: true, write: true, diagnostics: [] };
  });
}

/** `cmek state mv SRC DST`: the object at SRC is recorded at DST instead (same type). A block
 * address moves every instance of the block. */
export function stateMv(
  src: string,
  dst: string,
  opts: EngineOptions = {},
): Promise<{ result?: string[]; diagnostics: Diagnostic[] }> {
  // MODULES: module.OLD → module.NEW moves every resource of the module instance(s).
  if (/^module\./.test(src.trim()) && /^module\./.test(dst.trim())) {
    const f = parseModuleAddress(src);
    const t = parseModuleAddress(dst);
    if (f.ok && t.ok) return moveModule(f.path, t.path, opts);
  }
  const from = parseStateAddress(src);
  const to = parseStateAddress(dst);
  if (isDiag(from)) return Promise.resolve({ diagnostics: [from] });
  if (isDiag(to)) return Promise.resolve({ diagnostics: [to] });
  src = from.address;
  dst = to.address;
  const fail = (summary: string, detail: string) => ({
    result: [] as string[],
    write: false,
    diagnostics: [diag('USAGE', summary, detail)],
  });
  return editState('OperationTypeStateMv', opts, (state) => {
    if (from.type !== to.type)
      return fail(
        `Cannot move ${src} to ${dst}: different resource types`,
        'state mv renames an object; the type of the object cannot change. Remove it (cmek state rm) and create the other type instead.',
      );
    const all = stateInstances(state);
    // TYPE.NAME to TYPE.NAME moves a whole block; otherwise one (current) instance moves.
    const wholeBlock = from.index === undefined && to.index === undefined;
    const moving = all.filter((e) =>
      wholeBlock ? e.block === src : e.address === src && !e.deposed,
    );
    if (!state || !moving.length)
      return fail(`No resource instance ${src} in the state`, LIST_HINT);
    const target = all.filter((e) =>
      to.index === undefined ? e.block === dst : e.address === dst,
    );
    if (target.length || (to.index === undefined && all.some((e) => e.block === dst)))
      return fail(
        `Cannot move ${src} to ${dst}: ${dst} already exists in the state`,
        `Move or remove ${dst} first (cmek state rm ${dst} forgets it without destroying it).`,
      );
    // An instance into a block that has instances of another kind (no key, count indexes,
    // for_each keys) would leave a block with both: refuse.
    const kind = (k: InstanceKey | undefined) =>
      k === undefined ? 'no count or for_each' : typeof k === 'number' ? 'count' : 'for_each';
    const dstBlock = all.filter((e) => e.block === to.block);
    const other = dstBlock.find((e) => kind(e.index) !== kind(to.index ?? from.index));
    if (other && !wholeBlock)
      return fail(
        `Cannot move ${src} to ${dst}: ${to.block} has ${kind(other.index)}`,
        `Give ${dst} the same form as the instances already at ${to.block} (e.g. ${other.address}).`,
      );
    const moved = moving.map(
      (e) =>
        `${e.address} -> ${withModule(to.module, formatAddress(to.type, to.name, to.index ?? e.index))}${e.deposed ? ` (deposed ${e.deposed})` : ''}`,
    );
    if (wholeBlock) {
      // A whole block (with its deposed objects): rename the resource (and move it to the other
      // module instance), keep Terraform's order.
      const res = state.resources.find(
        (r) =>
          isManaged(r) &&
          r.type === from.type &&
          r.name === from.name &&
          (r.module ?? '') === (from.module ?? ''),
      )!;
      res.name = to.name;
      if (to.module) res.module = to.module;
      else delete res.module;
      sortResources(state);
    } else {
      const inst: StateInstance = { ...moving[0]!.instance };
      setInstance(state, from.type, from.name, from.index, null, from.module);
      setInstance(state, to.type, to.name, to.index, inst, to.module);
    }
    return { result: moved, write: true, diagnostics: [] };
  });
}

/** `cmek state mv module.OLD module.NEW`: every resource of the module instance(s) OLD names is
 * recorded under NEW (nested modules too). `module.a` moves every instance of a, keeping each
 * instance's key; `module.a["x"]` one instance. */
function moveModule(
  from: ModuleStep[],
  to: ModuleStep[],
  opts: EngineOptions,
): Promise<{ result?: string[]; diagnostics: Diagnostic[] }> {
  const src = formatModulePath(from);
  const dst = formatModulePath(to);
  const fail = (summary: string, detail: string) => ({
    result: [] as string[],
    write: false,
    diagnostics: [diag('USAGE', summary, detail)],
  });
  return editState('OperationTypeStateMv', opts, (state) => {
    const rename = (module: string | undefined) => moveModulePath(from, to, module);
    const moving = (state?.resources ?? []).filter((r) => rename(r.module) !== undefined);
    if (!state || !moving.length) return fail(`No module instance ${src} in the state`, LIST_HINT);
    const taken = new Set(
      state.resources
        .filter((r) => !moving.includes(r))
        .map((r) => `${r.module ?? ''}|${r.mode}|${r.type}.${r.name}`),
    );
    for (const r of moving)
      if (taken.has(`${rename(r.module)}|${r.mode}|${r.type}.${r.name}`))
        return fail(
          `Cannot move ${src} to ${dst}: ${withModule(rename(r.module), `${r.type}.${r.name}`)} already exists in the state`,
          `Move or remove it first (cmek state rm ADDRESS forgets it without destroying it).`,
        );
    const result: string[] = [];
    for (const r of moving) {
      const next = rename(r.module)!;
      for (const i of r.instances)
        if (r.mode !== 'data')
          result.push(
            `${withModule(r.module, formatAddress(r.type, r.name, i.index_key))} -> ${withModule(next, formatAddress(r.type, r.name, i.index_key))}`,
          );
      r.module = next;
    }
    sortResources(state);
    return { result, write: true, diagnostics: [] };
  });
}
