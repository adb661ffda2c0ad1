// The planner's step for `moved` and `removed` blocks (docs/configuration.md, "moved and removed
// blocks"), as terraform's refactoring package does it: the move statements are checked
// (type and kind mismatches, ambiguous sources or destinations, cycles, a source still
// declared), then applied to the prior state in dependency order, so chains (A → B, B → C) take
// an object from A to C; a move whose destination is occupied is skipped with a warning. The
// removed blocks say which orphans are forgotten instead of destroyed.

import {
  blockAddress,
  formatAddress,
  formatModulePath,
  formatResourceAddress,
  moduleContains,
  moveModulePath,
  parseModuleAddress,
  parseResourceAddress,
  type ModuleStep,
  type ResourceAddress,
} from '../model/address.js';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { Config, MovedBlock, RemovedBlock, SourcePos } from './config/types.js';
import type { PlannedChange } from './plan-types.js';
import {
  isManaged,
  keyOf,
  sortResources,
  withModule,
  type StateFile,
  type StateInstance,
} from './state.js';

/** A moved block between module addresses (`module.OLD` → `module.NEW`). */
interface ModuleMove {
  block: MovedBlock;
  from: ModuleStep[];
  to: ModuleStep[];
}

interface Statement {
  block: MovedBlock;
  from: ResourceAddress;
  to: ResourceAddress;
  /** Both are block addresses (every instance moves) rather than instance addresses. */
  whole: boolean;
}

export interface MovedResult {
  /** The prior state with the moves applied (the input when nothing moved). */
  priorState: StateFile | null;
  /** New instance address → the address it had before this plan's moves. */
  moved: Map<string, string>;
  diagnostics: Diagnostic[];
}

const where = (pos: SourcePos) => ({ file: pos.file, line: pos.line });
const text = (a: ResourceAddress) => formatResourceAddress(a);

/** Check the moved blocks and apply them to `state`. */
export function movedStep(config: Config, state: StateFile | null): MovedResult {
  const diagnostics: Diagnostic[] = [];
  const moved = new Map<string, string>();
  const blocks = config.moved ?? [];
  if (!blocks.length) return { priorState: state, moved, diagnostics };
  const configured = new Map(config.resources.map((r) => [r.address, r]));
  const statements: Statement[] = [];
  const byFrom = new Map<string, Statement>();
  const byTo = new Map<string, Statement>();
  const moduleMoves: ModuleMove[] = [];
  for (const b of blocks) {
    const f = parseResourceAddress(b.from);
    const t = parseResourceAddress(b.to);
    if (!f.ok && !t.ok) {
      // MODULES: module.OLD → module.NEW.
      const mf = parseModuleAddress(b.from);
      const mt = parseModuleAddress(b.to);
      if (!mf.ok || !mt.ok) continue; // the loader reported it
      const still = config.resources.find((r) => {
        const a = parseResourceAddress(r.address);
        return a.ok && moduleContains(mf.path, a.address);
      });
      if (still && mf.path[mf.path.length - 1]!.key === undefined)
        diagnostics.push(
          diag(
            'CONFIG_SCHEMA',
            'Moved object still exists',
            `This statement declares a move from ${b.from}, but that module call is still declared (${still.pos.file}:${still.pos.line} is in it).\nChange your configuration so that this call will be declared as ${b.to} instead.`,
            where(b.pos),
          ),
        );
      else moduleMoves.push({ block: b, from: mf.path, to: mt.path });
      continue;
    }
    if (!f.ok || !t.ok) continue; // the loader reported it
    const from = f.address;
    const to = t.address;
    const fail = (summary: string, detail: string, severity: 'error' | 'warning' = 'error') =>
      diagnostics.push({ ...diag('CONFIG_SCHEMA', summary, detail, where(b.pos)), severity });
    if ((from.key === undefined) !== (to.key === undefined)) {
      fail(
        'Invalid "moved" addresses',
        'The "from" and "to" addresses must either both refer to resources or both refer to resource instances.',
      );
      continue;
    }
    if (from.type !== to.type) {
      fail(
        'Resource type mismatch',
        `This statement declares a move from ${text(from)} to ${text(to)}, which is a resource of a different type.`,
      );
      continue;
    }
    if (text(from) === text(to)) {
      fail(
        'Redundant move statement',
        `This statement declares a move from ${text(from)} to the same address, so it has no effect. Remove it.`,
        'warning',
      );
      continue;
    }
    const decl = configured.get(blockAddress(from));
    if (from.key === undefined && decl) {
      fail(
        'Moved object still exists',
        `This statement declares a move from ${text(from)}, but that resource is still declared at ${decl.pos.file}:${decl.pos.line}.\nChange your configuration so that this resource will be declared as ${text(to)} instead.`,
      );
      continue;
    }
    const s: Statement = { block: b, from, to, whole: from.key === undefined };
    const dupFrom = byFrom.get(text(from));
    const dupTo = byTo.get(text(to));
    if (dupFrom || dupTo) {
      const other = (dupFrom ?? dupTo)!;
      fail(
        'Ambiguous move statements',
        dupFrom
          ? `A statement at ${other.block.pos.file}:${other.block.pos.line} declared that ${text(from)} moved to ${text(other.to)}, but this statement instead declares that it moved to ${text(to)}.\nEach resource can move to only one destination resource.`
          : `A statement at ${other.block.pos.file}:${other.block.pos.line} declared that ${text(other.from)} moved to ${text(to)}, but this statement instead declares that ${text(from)} moved there.\nEach distinct address can be the target of only one move statement.`,
      );
      continue;
    }
    byFrom.set(text(from), s);
    byTo.set(text(to), s);
    statements.push(s);
  }
  // Order: a statement that moves something into another's source runs before that one, so a
  // chain carries an object to its end. A cycle is an error.
  const order: Statement[] = [];
  const state3 = new Map<Statement, 1 | 2>();
  const visit = (s: Statement, path: Statement[]): boolean => {
    if (state3.get(s) === 2) return true;
    if (state3.get(s) === 1) {
      const loop = [...path.slice(path.indexOf(s)), s];
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          'Cyclic dependency in move statements',
          `The following chained move statements form a cycle, and so there is no final location to move objects to:\n${loop
            .slice(0, -1)
            .map(
              (x) => `  - ${x.block.pos.file}:${x.block.pos.line}: ${text(x.from)} → ${text(x.to)}`,
            )
            .join(
              '\n',
            )}\nA chain of move statements must end with an address that doesn't appear in any other statements for the same module.`,
          where(s.block.pos),
        ),
      );
      return false;
    }
    state3.set(s, 1);
    // Statements whose `to` is this statement's `from` come first.
    const before = byTo.get(text(s.from));
    const ok = before ? visit(before, [...path, s]) : true;
    state3.set(s, 2);
    if (ok) order.push(s);
    return ok;
  };
  for (const s of statements) if (!state3.has(s)) visit(s, []);
  if (diagnostics.some((d) => d.severity === 'error') || !state)
    return { priorState: state, moved, diagnostics };

  const next: StateFile = structuredClone(state);
  const blocked: string[] = [];
  // Where each object came from, through chains: current address → original address.
  const origin = new Map<string, string>();
  // Module moves first: a resource statement in the new module then finds its objects there.
  for (const m of moduleMoves) {
    const moving = next.resources.filter(
      (r) => isManaged(r) && moveModulePath(m.from, m.to, r.module) !== undefined,
    );
    for (const res of moving) {
      const dst = moveModulePath(m.from, m.to, res.module)!;
      const occupied = next.resources.some(
        (r) =>
          r !== res &&
          isManaged(r) &&
          (r.module ?? '') === dst &&
          r.type === res.type &&
          r.name === res.name,
      );
      const here = (mod: string | undefined, inst: StateInstance) =>
        withModule(mod, formatAddress(res.type, res.name, keyOf(inst)));
      if (occupied) {
        for (const inst of res.instances)
          blocked.push(`  - ${here(res.module, inst)} could not move to ${here(dst, inst)}`);
        continue;
      }
      for (const inst of res.instances) {
        if (inst.deposed) continue;
        const fromAddr = here(res.module, inst);
        const toAddr = here(dst, inst);
        origin.set(toAddr, origin.get(fromAddr) ?? fromAddr);
        origin.delete(fromAddr);
      }
      res.module = dst;
    }
  }
  for (const s of order) {
    const fromModule = formatModulePath(s.from.module);
    const toModule = formatModulePath(s.to.module);
    for (const res of [...next.resources]) {
      if (!isManaged(res) || (res.module ?? '') !== fromModule) continue;
      if (res.type !== s.from.type || res.name !== s.from.name) continue;
      for (const inst of [...res.instances]) {
        const key = keyOf(inst);
        if (!s.whole && key !== s.from.key) continue;
        const fromAddr = text({ ...s.from, ...(key === undefined ? {} : { key }) });
        const toAddr = text({
          ...s.to,
          ...(s.whole ? (key === undefined ? {} : { key }) : { key: s.to.key! }),
        });
        const toKey = s.whole ? key : s.to.key;
        const occupied = next.resources.some(
          (r) =>
            isManaged(r) &&
            (r.module ?? '') === toModule &&
            r.type === s.to.type &&
            r.name === s.to.name &&
            r.instances.some((i) => keyOf(i) === toKey && !i.deposed),
        );
        if (occupied && !inst.deposed) {
          blocked.push(`  - ${fromAddr} could not move to ${toAddr}`);
          continue;
        }
        res.instances.splice(res.instances.indexOf(inst), 1);
        let dst = next.resources.find(
          (r) =>
            isManaged(r) &&
            (r.module ?? '') === toModule &&
            r.type === s.to.type &&
            r.name === s.to.name,
        );
        if (!dst) {
          const { module: _m, ...rest } = res;
          dst = {
            ...(toModule ? { module: toModule } : {}),
            ...rest,
            name: s.to.name,
            instances: [],
          };
          next.resources.push(dst);
        }
        const moved2 = { ...inst };
        if (toKey === undefined) delete moved2.index_key;
        else moved2.index_key = toKey;
        dst.instances.push(moved2);
        if (typeof toKey === 'string') dst.each = 'map';
        else if (typeof toKey === 'number') dst.each = 'list';
        else delete dst.each;
        if (!inst.deposed) {
          origin.set(toAddr, origin.get(fromAddr) ?? fromAddr);
          origin.delete(fromAddr);
        }
      }
    }
    next.resources = next.resources.filter((r) => r.instances.length);
  }
  sortResources(next);
  if (blocked.length)
    diagnostics.push({
      ...diag(
        'CONFIG_SCHEMA',
        'Unresolved resource instance address changes',
        `cmek tried to adjust resource instance addresses in the prior state based on change information recorded in the configuration, but some adjustments did not succeed due to existing objects already at the intended addresses:\n${blocked.join('\n')}\n\ncmek has planned to destroy these objects. If cmek's proposed changes aren't appropriate, you must first resolve the conflicts using the "cmek state" subcommands and then create a new plan.`,
      ),
      severity: 'warning',
    });
  for (const [to, from] of origin) moved.set(to, from);
  return { priorState: origin.size ? next : state, moved, diagnostics };
}

/** After the walk: mark the changes of moved objects (`previous_address`), and report an
 * instance-level source that the configuration still declares (the walk planned it). */
export function markMoved(
  config: Config,
  moved: Map<string, string>,
  changes: PlannedChange[],
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const c of changes) {
    const from = moved.get(c.address);
    if (from !== undefined && !c.deposed) c.movedFrom = from;
  }
  const created = new Set(changes.filter((c) => c.action === 'create').map((c) => c.address));
  for (const b of config.moved ?? []) {
    const f = parseResourceAddress(b.from);
    if (!f.ok || f.address.key === undefined) continue;
    const from = text(f.address);
    if (!created.has(from) || ![...moved.values()].includes(from)) continue;
    diagnostics.push(
      diag(
        'CONFIG_SCHEMA',
        'Moved object still exists',
        `This statement declares a move from ${from}, but that resource instance is still declared in the configuration.\nChange your configuration so that this instance will be declared as ${b.to} instead.`,
        where(b.pos),
      ),
    );
  }
  return diagnostics;
}

/** Removed blocks: one whose resource is still declared is an error; the others say, per
 * block address, whether its orphans are destroyed or forgotten. */
export function removedStep(config: Config): {
  forget: Set<string>;
  diagnostics: Diagnostic[];
} {
  const forget = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const configured = new Map(config.resources.map((r) => [r.address, r]));
  for (const r of config.removed ?? []) {
    const p = parseResourceAddress(r.from);
    const mod = p.ok ? undefined : parseModuleAddress(r.from);
    if (mod?.ok) {
      // MODULES: removed { from = module.NAME }: the call is gone; its objects are destroyed or
      // forgotten (orphansStep matches them by the module prefix).
      const still = config.resources.find((x) => {
        const a = parseResourceAddress(x.address);
        return a.ok && moduleContains(mod.path, a.address);
      });
      if (still)
        diagnostics.push(
          diag(
            'CONFIG_SCHEMA',
            'Removed module call block still exists',
            `This statement declares the removal of the module call ${r.from}, but that module call block still exists in the configuration (${still.pos.file}:${still.pos.line} is in it). Remove the module block.`,
            where(r.pos),
          ),
        );
      else if (!r.destroy) forget.add(r.from);
      continue;
    }
    if (!p.ok) continue;
    const block = blockAddress(p.address);
    const decl = configured.get(block);
    if (decl) {
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          'Removed resource block still exists',
          `This statement declares the removal of the resource ${block}, but this resource block still exists in the configuration (${decl.pos.file}:${decl.pos.line}). Remove the resource block.`,
          where(r.pos),
        ),
      );
      continue;
    }
    if (p.address.key !== undefined) {
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          'Resource instance keys not allowed',
          `Resource addresses in removed blocks must not include instance keys: write from = ${block}.`,
          where(r.pos),
        ),
      );
      continue;
    }
    if (!r.destroy) forget.add(block);
  }
  return { forget, diagnostics };
}

export type { RemovedBlock };
