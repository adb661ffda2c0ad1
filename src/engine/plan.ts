// The planner: configuration + prior state → a Plan value, composed of the named steps in
// plan-steps.ts (check the blocks, build the graph, refresh, resolve -target/-replace, walk and
// diff, orphans, checks, outputs). Expressions are evaluated through eval.ts, the scope plan,
// apply and the provider settings share. Every problem is collected as a diagnostic; nothing
// is thrown for user errors.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrors, type Diagnostic } from '../model/diagnostics.js';
import type { Config } from './config/types.js';
import { expandModules } from './expand.js';
import { buildGraph } from './graph.js';
import { importStep, markImports } from './import.js';
import { markMoved, movedStep, removedStep } from './refactor.js';
import {
  checkBlocks,
  checksStep,
  conditionsStep,
  liveStep,
  diffStep,
  orphansStep,
  outputsStep,
  refreshStep,
  replaceStep,
  targetStep,
  type StepContext,
} from './plan-steps.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlanInputs, type PlanOptions } from './plan-types.js';

export * from './plan-types.js';
export * from './eval.js';
export * from './diff.js';
export { ruleAccount, LOCAL_ACCOUNT } from './plan-steps.js';

export function configDigest(config: Config): string {
  const h = createHash('sha256');
  // MODULES: the files of local modules too (named relative to the root module).
  const files = new Set(config.files);
  const walk = (c: Config) => {
    for (const m of c.modules ?? []) {
      for (const f of m.config.files) files.add(f);
      walk(m.config);
    }
  };
  walk(config);
  for (const f of [...files].sort()) {
    h.update(f);
    h.update('\0');
    try {
      h.update(readFileSync(join(config.dir, f)));
    } catch {
      h.update('(unreadable)');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

/** Plan a loaded configuration against a prior state. */
export async function planConfig(inputs: PlanInputs, opts: PlanOptions): Promise<Plan> {
  const { config, settings } = inputs;
  const deps = opts.deps;
  const refresh = opts.refresh ?? true;
  const destroy = opts.destroy ?? false;
  const refreshOnly = opts.refreshOnly ?? false;
  const diags: Diagnostic[] = [];
  const targets = opts.targets?.length ? [...opts.targets] : undefined;
  const plan: Plan = {
    cmek_plan_format: PLAN_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    mode: destroy ? 'destroy' : refreshOnly ? 'refresh-only' : 'normal',
    refresh,
    ...(targets ? { targets } : {}),
    variables: {},
    configDigest: configDigest(config),
    prior: inputs.state ? { lineage: inputs.state.lineage, serial: inputs.state.serial } : null,
    priorState: inputs.state,
    changes: [],
    drift: [],
    outputChanges: {},
    diagnostics: diags,
    errored: false,
  };
  let ctx = opts.ctx;
  const sc: StepContext = {
    config,
    settings,
    deps,
    getCtx: async () => (ctx ??= await deps.createProviderContext(settings)),
  };

  if (opts.variables) plan.variables = opts.variables;
  else {
    const vr = deps.resolveVariables(config, {
      cliVars: opts.cliVars ?? {},
      env: opts.env ?? process.env,
    });
    diags.push(...vr.diagnostics);
    plan.variables = vr.values;
  }
  // MODULES: the module calls' instances join the configuration (expand.ts).
  diags.push(...expandModules(config, plan.variables));
  diags.push(...checkBlocks(sc));
  const { graph, diagnostics: cycleDiags } = buildGraph(config);
  diags.push(...cycleDiags);
  const target = targetStep(config, graph, inputs.state, targets, destroy);
  diags.push(...target.diagnostics);
  const replace = replaceStep(config, inputs.state, opts.replace);
  diags.push(...replace.diagnostics);
  if (hasErrors(diags)) return finish(plan);

  const refreshed = await refreshStep(sc, inputs.state, refresh, opts.parallelism ?? 10);
  plan.priorState = refreshed.priorState;
  plan.drift = refreshed.drift;
  diags.push(...refreshed.diagnostics);
  // -refresh-only: the drift is the plan; applying it records the refreshed state.
  if (refreshOnly) return finish(plan);
  // moved blocks: the objects they move are at their new addresses before the walk.
  const moves = movedStep(config, plan.priorState);
  plan.priorState = moves.priorState;
  diags.push(...moves.diagnostics);
  const removed = removedStep(config);
  diags.push(...removed.diagnostics);
  if (hasErrors(diags)) return finish(plan);
  // import blocks: the objects they name join the prior state the walk diffs against.
  const imports = await importStep(sc, plan.priorState, plan.variables, {
    scope: target.scope,
    check: destroy || (opts.validateOnly ?? false),
  });
  plan.priorState = imports.priorState;
  diags.push(...imports.diagnostics);

  const walk = await diffStep(sc, graph, plan.priorState, plan.variables, {
    destroy,
    validateOnly: opts.validateOnly ?? false,
    scope: target.scope,
    replace: replace.replace,
  });
  diags.push(...walk.diagnostics);
  if (walk.reads.length) plan.reads = walk.reads;
  const orphans = orphansStep(
    sc,
    graph,
    plan.priorState,
    walk.planned,
    destroy,
    target.scope,
    removed.forget,
  );
  plan.changes = [...walk.changes, ...orphans.changes];
  diags.push(...markMoved(config, moves.moved, plan.changes));
  diags.push(...markImports(config, imports.importing, plan.changes, walk.planned));
  const ruleChanges = [...walk.ruleChanges, ...orphans.ruleChanges];
  if (refresh && !destroy) diags.push(...(await liveStep(sc, ruleChanges)));
  diags.push(
    ...(await checksStep(sc, plan.priorState, plan.changes, ruleChanges, refresh, walk.reads)),
  );
  const outputs = outputsStep(sc, graph, walk.env, inputs.state, destroy, target.scope);
  plan.outputChanges = outputs.outputChanges;
  diags.push(...outputs.diagnostics);
  if (!destroy) {
    // Variable validations and check blocks (docs/configuration.md, "Custom conditions").
    const conds = conditionsStep(sc, walk.env);
    diags.push(...conds.diagnostics);
    const later = [...walk.deferredConditions, ...conds.deferred];
    if (later.length) plan.deferredConditions = later;
  }
  return finish(plan);
}

function finish(plan: Plan): Plan {
  // One problem reported by two layers (loader and engine) should print once.
  const seen = new Set<string>();
  plan.diagnostics = plan.diagnostics.filter((d) => {
    const k = `${d.code}|${d.address ?? ''}|${d.attribute ?? ''}|${d.file ?? ''}|${d.line ?? ''}|${d.summary}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  plan.errored = hasErrors(plan.diagnostics);
  return plan;
}

/** Summary counts like Terraform's "Plan: N to add, N to change, N to destroy." (and "N to
 * import" first when import blocks bring objects in). */
export function planCounts(plan: Plan): {
  import?: number;
  add: number;
  change: number;
  destroy: number;
  forget?: number;
} {
  let forget = 0;
  let imports = 0;
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const c of plan.changes) {
    if (c.importing) imports++;
    if (c.action === 'create') add++;
    else if (c.action === 'update') change++;
    else if (c.action === 'delete') destroy++;
    else if (c.action === 'forget') forget++;
    else if (c.action === 'replace') {
      add++;
      destroy++;
    }
  }
  return {
    ...(imports ? { import: imports } : {}),
    add,
    change,
    destroy,
    ...(forget ? { forget } : {}),
  };
}

export function planHasChanges(plan: Plan): boolean {
  return (
    plan.changes.some((c) => c.action !== 'noop' || c.movedFrom !== undefined || c.importing) ||
    Object.values(plan.outputChanges).some((o) => o.action !== 'noop')
  );
}
