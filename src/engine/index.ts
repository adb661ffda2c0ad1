// The engine's library API (`import { plan, apply } from 'cmek'` or 'cmek/engine'): usable
// without the CLI, so every front door drives the same code. Every function returns diagnostics
// as values; only I/O failures and bugs throw.
//
// This module does not import the default wiring (src/engine/defaults.ts: the real resource
// types, provider context, control plane and rules). A caller passes `deps`; without it, the
// wiring is loaded on the first operation (`import('./defaults.js')`), so importing the engine
// does not load src/resources, src/service or the KMS backends. See docs/architecture.md.

import { resolve } from 'node:path';
import { filterMatches } from '../model/address.js';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../model/diagnostics.js';
import type { ProviderContext, ProviderSettings } from '../resources/types.js';
import type { Config } from './config/types.js';
import { applyChanges, type ApplyEvent, type ApplyResult } from './apply.js';
import type { EngineDeps } from './deps.js';
import {
  backendCall,
  configuredBackend,
  DEFAULT_WORKSPACE,
  isBackendDiagnostic,
  LocalBackend,
  openBackend,
  type BackendLock,
  type StateBackend,
} from './backend/index.js';
import { configDigest, planConfig, PLAN_FORMAT_VERSION, type Plan } from './plan.js';
import { providerSettings } from './provider-settings.js';
import {
  ENGINE_VERSION,
  parseState,
  removeDeposed,
  setInstance,
  stateInstances,
  StateWriter,
  type LoadedState,
  type StateFile,
  type StateSink,
} from './state.js';
import { Unknown, type Value } from '../model/values.js';

export * from '../model/address.js';
export * from './apply.js';
export * from './backend/index.js';
export * from './deps.js';
export * from './graph.js';
export { expandModules } from './expand.js'; // MODULES
export * from './lock.js';
export * from './plan.js';
export * from './planfile.js';
export * from './provider-settings.js';
export * from './render.js';
export * from './state.js';

export interface Workspace {
  dir: string;
  config: Config;
  /** Where the state lives: the local backend's state file of the selected workspace
   * (absolute), or the pg backend's description (docs/backends.md). */
  statePath: string;
  diagnostics: Diagnostic[];
  /** The state backend (local files or PostgreSQL) the working directory uses. */
  backend: StateBackend;
  /** The selected workspace (`cmek workspace select`, TF_WORKSPACE); `default` without one. */
  workspace: string;
}

export interface EngineOptions {
  /** Working directory (default process.cwd()). */
  dir?: string;
  deps?: EngineDeps;
  /** A workspace already opened (reuse the loaded configuration). */
  workspace?: Workspace;
  /** Take the state lock (default true). Pass false when the caller holds it. */
  lock?: boolean;
  /** Wait this long for a held lock (ms). Default 0. */
  lockTimeoutMs?: number;
  /** Provider context to reuse. */
  ctx?: ProviderContext;
}

/** The deps to use: the caller's, else the default wiring (loaded once, on first use). */
export async function engineDeps(deps?: EngineDeps): Promise<EngineDeps> {
  if (deps) return deps;
  const { defaultDeps } = await import('./defaults.js');
  return defaultDeps;
}

/** Load the configuration of a working directory and open its state backend. */
export async function openWorkspace(dir = process.cwd(), deps?: EngineDeps): Promise<Workspace> {
  const abs = resolve(dir);
  const { config, diagnostics } = await (await engineDeps(deps)).loadConfig(abs);
  const configured = configuredBackend(config.backend);
  let backend: StateBackend;
  let workspace = DEFAULT_WORKSPACE;
  try {
    ({ backend, workspace } = openBackend(abs, configured));
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    // Reported with the configuration's diagnostics; the local default keeps show/output/state
    // list working on a state file that may be there.
    backend = new LocalBackend(abs, config.backend?.path ?? 'terraform.tfstate');
    diagnostics.push(...e.diagnostics);
  }
  config.workspace = workspace;
  return {
    dir: abs,
    config,
    statePath:
      backend instanceof LocalBackend ? backend.statePath(workspace) : backend.describe(workspace),
    diagnostics,
    backend,
    workspace,
  };
}

/** Take the state lock of a workspace; throws DiagnosticError(STATE_LOCKED) (or a backend
 * diagnostic when the backend cannot be reached). */
export function lockWorkspace(
  ws: Workspace,
  operation: string,
  timeoutMs = 0,
): Promise<BackendLock> {
  return ws.backend.lock(ws.workspace, { operation, timeoutMs, version: ENGINE_VERSION });
}

/** Read and check the state of the workspace (`text`: as stored, for `.backup`). */
export async function loadWorkspaceState(ws: Workspace): Promise<LoadedState & { text?: string }> {
  const r = await backendCall(() => ws.backend.read(ws.workspace));
  if (r.diagnostics.length) return { state: null, diagnostics: r.diagnostics };
  const loaded = parseState(r.value, ws.statePath);
  return r.value !== undefined ? { ...loaded, text: r.value } : loaded;
}

/** Where StateWriter puts the workspace's state. */
export function stateSink(ws: Workspace): StateSink {
  return {
    where: ws.statePath,
    write: (text) => ws.backend.write(ws.workspace, text),
    backup: (prior) => ws.backend.backup(ws.workspace, prior),
  };
}

async function withLock<T>(
  ws: Workspace,
  opts: EngineOptions,
  operation: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (opts.lock === false) return fn();
  const lock = await lockWorkspace(ws, operation, opts.lockTimeoutMs ?? 0);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export interface EnginePlanOptions extends EngineOptions {
  destroy?: boolean;
  refresh?: boolean;
  cliVars?: Record<string, string>;
  /** `-var-file` paths (relative to the working directory). */
  varFiles?: string[];
  env?: Record<string, string | undefined>;
  parallelism?: number;
  /** `-target`, `-replace`, `-refresh-only` (see PlanOptions). */
  targets?: string[];
  replace?: string[];
  refreshOnly?: boolean;
}

// The configuration a plan was made from, so `apply(plan)` right after `plan()` does not load
// it again. Kept outside the Plan value, which stays plain JSON.
const planWorkspaces = new WeakMap<Plan, Workspace>();

function emptyPlan(diagnostics: Diagnostic[], config?: Config): Plan {
  return {
    cmek_plan_format: PLAN_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    mode: 'normal',
    refresh: true,
    variables: {},
    configDigest: config ? configDigest(config) : '',
    prior: null,
    priorState: null,
    changes: [],
    drift: [],
    outputChanges: {},
    diagnostics,
    errored: hasErrors(diagnostics),
  };
}

export async function resolveSettings(
  ws: Workspace,
  deps: EngineDeps,
  inputs: {
    cliVars?: Record<string, string>;
    varFiles?: string[];
    env?: Record<string, string | undefined>;
    variables?: Record<string, Value>;
  },
): Promise<{
  settings: ProviderSettings;
  variables: Record<string, Value>;
  diagnostics: Diagnostic[];
}> {
  const diagnostics: Diagnostic[] = [];
  let variables = inputs.variables;
  if (!variables) {
    // terraform.tfvars, *.auto.tfvars and -var-file, when the loader offers them.
    let fileVars: Record<string, Value> | undefined;
    if (deps.loadVarFiles) {
      const vf = await deps.loadVarFiles(ws.dir, inputs.varFiles ?? []);
      diagnostics.push(...vf.diagnostics);
      fileVars = vf.values;
    }
    const vr = deps.resolveVariables(ws.config, {
      cliVars: inputs.cliVars ?? {},
      env: inputs.env ?? process.env,
      ...(fileVars ? { fileVars } : {}),
    });
    diagnostics.push(...vr.diagnostics);
    variables = vr.values;
  }
  const ps = providerSettings(ws.config, variables);
  diagnostics.push(...ps.diagnostics);
  return { settings: ps.settings, variables, diagnostics };
}

/** Plan a working directory: load, lock, read state, refresh, diff, rules. */
export async function plan(opts: EnginePlanOptions = {}): Promise<Plan> {
  const deps = await engineDeps(opts.deps);
  const ws = opts.workspace ?? (await openWorkspace(opts.dir, deps));
  if (hasErrors(ws.diagnostics)) return emptyPlan(ws.diagnostics, ws.config);
  const { settings, variables, diagnostics } = await resolveSettings(ws, deps, opts);
  if (hasErrors(diagnostics)) return emptyPlan([...ws.diagnostics, ...diagnostics], ws.config);
  try {
    return await withLock(ws, opts, 'OperationTypePlan', async () => {
      const loaded = await loadWorkspaceState(ws);
      if (hasErrors(loaded.diagnostics))
        return emptyPlan([...ws.diagnostics, ...loaded.diagnostics], ws.config);
      const p = await planConfig(
        { config: ws.config, state: loaded.state, settings },
        {
          deps,
          variables,
          ...(opts.destroy !== undefined ? { destroy: opts.destroy } : {}),
          ...(opts.refresh !== undefined ? { refresh: opts.refresh } : {}),
          ...(opts.ctx ? { ctx: opts.ctx } : {}),
          ...(opts.parallelism ? { parallelism: opts.parallelism } : {}),
          ...(opts.targets?.length ? { targets: opts.targets } : {}),
          ...(opts.replace?.length ? { replace: opts.replace } : {}),
          ...(opts.refreshOnly ? { refreshOnly: true } : {}),
        },
      );
      p.diagnostics.unshift(...[...ws.diagnostics, ...diagnostics].filter((d) => !hasErrors([d])));
      planWorkspaces.set(p, ws);
      return p;
    });
  } catch (e) {
    if (e instanceof DiagnosticError) return emptyPlan(e.diagnostics, ws.config);
    throw e;
  }
}

export interface EngineApplyOptions extends EngineOptions {
  parallelism?: number;
  onEvent?: (e: ApplyEvent) => void;
  /** Abort to stop starting new operations (those in flight finish and are recorded). */
  signal?: AbortSignal;
}

/** Check a plan still applies to the state on disk (lineage + serial) and configuration. */
export function stalePlanDiagnostics(
  plan: Plan,
  state: StateFile | null,
  config: Config,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const now = state ? { lineage: state.lineage, serial: state.serial } : null;
  const was = plan.prior;
  const same =
    (!now && !was) || (now && was && now.lineage === was.lineage && now.serial === was.serial);
  if (!same) {
    out.push(
      diag(
        'STATE_STALE_PLAN',
        'Saved plan is stale',
        `The plan was made against state ${was ? `${was.lineage} serial ${was.serial}` : '(none)'}, ` +
          `but the state is now ${now ? `${now.lineage} serial ${now.serial}` : '(none)'}: something was applied since. ` +
          'Applying it could undo or duplicate those changes. Run cmek plan again and apply the new plan.',
      ),
    );
  }
  if (plan.configDigest && plan.configDigest !== configDigest(config)) {
    out.push(
      diag(
        'STATE_STALE_PLAN',
        'The configuration changed since the plan was made',
        'The .tf files differ from the ones the plan was computed from, so it would apply something that was not reviewed. Run cmek plan again.',
      ),
    );
  }
  return out;
}

/** Apply a plan (from `plan()` or a saved plan file). Locks the state, refuses stale plans,
 * writes the state after every resource. */
export async function apply(p: Plan, opts: EngineApplyOptions = {}): Promise<ApplyResult> {
  const deps = await engineDeps(opts.deps);
  const ws = opts.workspace ?? planWorkspaces.get(p) ?? (await openWorkspace(opts.dir, deps));
  const fail = (diagnostics: Diagnostic[]): ApplyResult => ({
    diagnostics,
    added: 0,
    changed: 0,
    destroyed: 0,
    state: p.priorState,
  });
  if (hasErrors(ws.diagnostics)) return fail(ws.diagnostics);
  if (p.errored)
    return fail([
      diag(
        'APPLY_FAILED',
        'The plan has errors and cannot be applied',
        'Fix the errors the plan reported, then plan again.',
      ),
      ...p.diagnostics,
    ]);
  const { settings, diagnostics } = await resolveSettings(ws, deps, { variables: p.variables });
  if (hasErrors(diagnostics)) return fail(diagnostics);
  try {
    return await withLock(
      ws,
      opts,
      p.mode === 'destroy' ? 'OperationTypeApply (destroy)' : 'OperationTypeApply',
      async () => {
        const loaded = await loadWorkspaceState(ws);
        if (hasErrors(loaded.diagnostics)) return fail(loaded.diagnostics);
        const stale = stalePlanDiagnostics(p, loaded.state, ws.config);
        if (stale.length) return fail(stale);
        return applyChanges(p, {
          deps,
          config: ws.config,
          settings,
          statePath: ws.statePath,
          stateSink: stateSink(ws),
          ...(loaded.text !== undefined ? { priorStateText: loaded.text } : {}),
          ...(opts.ctx ? { ctx: opts.ctx } : {}),
          ...(opts.parallelism ? { parallelism: opts.parallelism } : {}),
          ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      },
    );
  } catch (e) {
    if (e instanceof DiagnosticError) return fail(e.diagnostics);
    throw e;
  }
}

/** Read the state of a working directory (no lock: reads are atomic thanks to rename). */
export async function readWorkspaceState(
  dir = process.cwd(),
  deps?: EngineDeps,
): Promise<{ state: StateFile | null; statePath: string; diagnostics: Diagnostic[] }> {
  const ws = await openWorkspace(dir, deps);
  const loaded = await loadWorkspaceState(ws);
  // A broken configuration does not stop reading the state (show/output/state list still work),
  // but a backend that needs init (or cannot be opened) does.
  const backend = ws.diagnostics.filter(isBackendDiagnostic);
  if (hasErrors(backend)) return { state: null, statePath: ws.statePath, diagnostics: backend };
  return { state: loaded.state, statePath: ws.statePath, diagnostics: loaded.diagnostics };
}

export interface ValidateResult {
  valid: boolean;
  diagnostics: Diagnostic[];
}

/** `cmek validate`: the configuration on its own (no state, no KMS, variables without a value
 * are unknown), through the same graph, schema and rule checks as plan. */
export async function validate(
  opts: { dir?: string; deps?: EngineDeps } = {},
): Promise<ValidateResult> {
  const deps = await engineDeps(opts.deps);
  const ws = await openWorkspace(opts.dir, deps);
  // validate reads no state: a backend that is not initialized yet does not matter here.
  ws.diagnostics = ws.diagnostics.filter((d) => !isBackendDiagnostic(d));
  if (hasErrors(ws.diagnostics)) return { valid: false, diagnostics: ws.diagnostics };
  const variables: Record<string, Value> = {};
  for (const v of ws.config.variables)
    variables[v.name] = v.default !== undefined ? v.default : new Unknown();
  const ps = providerSettings(ws.config, variables);
  const p = await planConfig(
    { config: ws.config, state: null, settings: ps.settings },
    { deps, variables, refresh: false, validateOnly: true },
  );
  const diagnostics = [...ws.diagnostics, ...ps.diagnostics, ...p.diagnostics];
  return { valid: !hasErrors(diagnostics), diagnostics };
}

export interface RefreshResult {
  plan: Plan;
  /** True when the refreshed state was written. */
  written: boolean;
  diagnostics: Diagnostic[];
}

/** `cmek refresh`: read every resource and record what changed outside cmek in the state
 * (terraform apply -refresh-only -auto-approve). */
export async function refresh(opts: EnginePlanOptions = {}): Promise<RefreshResult> {
  const deps = await engineDeps(opts.deps);
  const ws = opts.workspace ?? (await openWorkspace(opts.dir, deps));
  let lock: BackendLock | undefined;
  if (opts.lock !== false) {
    try {
      lock = await lockWorkspace(ws, 'OperationTypeRefresh', opts.lockTimeoutMs ?? 0);
    } catch (e) {
      if (e instanceof DiagnosticError)
        return { plan: emptyPlan(e.diagnostics), written: false, diagnostics: e.diagnostics };
      throw e;
    }
  }
  try {
    const p = await plan({ ...opts, workspace: ws, lock: false, refresh: true });
    // Write when reading the real objects changed anything: drift, or a pending create that
    // was adopted or dropped.
    const onDisk = await loadWorkspaceState(ws);
    const changed =
      p.drift.length > 0 || stateInstances(onDisk.state).some((e) => e.instance.cmek_pending);
    if (p.errored || !p.priorState || !changed)
      return { plan: p, written: false, diagnostics: p.diagnostics };
    const writer = new StateWriter(stateSink(ws), structuredClone(p.priorState), onDisk.text);
    await writer.persist();
    return { plan: p, written: true, diagnostics: p.diagnostics };
  } finally {
    await lock?.release();
  }
}

/** `cmek state rm ADDR...`: forget resources without destroying them. An address of a block
 * with count removes all its instances. */
export async function stateRm(
  addresses: string[],
  opts: EngineOptions = {},
): Promise<{ removed: string[]; diagnostics: Diagnostic[] }> {
  const deps = await engineDeps(opts.deps);
  const ws = opts.workspace ?? (await openWorkspace(opts.dir, deps));
  try {
    return await withLock(ws, opts, 'OperationTypeStateRm', async () => {
      const loaded = await loadWorkspaceState(ws);
      if (hasErrors(loaded.diagnostics)) return { removed: [], diagnostics: loaded.diagnostics };
      const state = loaded.state;
      const removed: string[] = [];
      const diagnostics: Diagnostic[] = [];
      for (const a of addresses) {
        const hits = stateInstances(state).filter((e) => filterMatches(a, e.address));
        if (!hits.length) {
          diagnostics.push(
            diag(
              'USAGE',
              `No resource instance ${a} in the state`,
              'See the addresses with: cmek state list',
            ),
          );
          continue;
        }
        for (const h of hits) {
          if (h.deposed) removeDeposed(state!, h.type, h.name, h.deposed, h.module);
          else setInstance(state!, h.type, h.name, h.index, null, h.module);
          removed.push(h.deposed ? `${h.address} (deposed ${h.deposed})` : h.address);
        }
      }
      if (removed.length && state) {
        const writer = new StateWriter(stateSink(ws), state, loaded.text);
        await writer.persist();
      }
      return { removed, diagnostics };
    });
  } catch (e) {
    if (e instanceof DiagnosticError) return { removed: [], diagnostics: e.diagnostics };
    throw e;
  }
}
