// Rendering plans and state for people (terraform's plan text) and for tools (Terraform's JSON
// plan and state representations, `terraform show -json`), so policy tools written for
// Terraform read our plans as they are.

import {
  formatAddress,
  formatKey,
  formatModulePath,
  parseModuleAddress,
  type InstanceKey,
} from '../model/address.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Attrs } from '../resources/types.js';
import type { Config, Expr } from './config/types.js';
import {
  planCounts,
  type DataRead,
  type DriftEntry,
  type OutputChange,
  type Plan,
  type PlannedChange,
} from './plan.js';
import {
  ENGINE_VERSION,
  PROVIDER_NAME,
  stateInstances,
  withModule,
  type StateFile,
} from './state.js';
import {
  markPaths,
  Sensitive,
  sensitiveMask,
  Unknown,
  unknownMask,
  type SensitivePath,
  type Value,
} from '../model/values.js';
import { stateSensitivePaths } from './sensitive.js';

export const PLAN_JSON_FORMAT_VERSION = '1.2';
export const STATE_JSON_FORMAT_VERSION = '1.0';

// ---------------------------------------------------------------------------------------------
// Values, HCL-like

const KNOWN_AFTER_APPLY = '(known after apply)';
/** What text output shows instead of a sensitive value, as terraform does. */
export const SENSITIVE_TEXT = '(sensitive value)';

function isPlainObject(v: unknown): v is Record<string, Value> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Unknown) &&
    !(v instanceof Sensitive)
  );
}

/** A value as terraform prints it: strings quoted, nested objects/lists on their own lines. */
export function formatValue(v: Value | undefined, indent = ''): string {
  if (v === undefined || v === null) return 'null';
  if (v instanceof Unknown) return KNOWN_AFTER_APPLY;
  if (v instanceof Sensitive) return SENSITIVE_TEXT;
  if (typeof v === 'string') {
    if (v.includes('\n')) {
      const lines = v.replace(/\n$/, '').split('\n');
      return `<<-EOT\n${lines.map((l) => `${indent}    ${l}`).join('\n')}\n${indent}EOT`;
    }
    return JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => `${indent}    ${formatValue(x, `${indent}    `)},`).join('\n')}\n${indent}]`;
  }
  const keys = Object.keys(v);
  if (!keys.length) return '{}';
  const w = Math.max(...keys.map((k) => quoteKey(k).length));
  return `{\n${keys
    .map((k) => `${indent}    ${quoteKey(k).padEnd(w)} = ${formatValue(v[k], `${indent}    `)}`)
    .join('\n')}\n${indent}}`;
}

function quoteKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k);
}

// ---------------------------------------------------------------------------------------------
// Human plan

const HEADERS: Record<string, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  forget: 'will no longer be managed by cmek',
};

const REASONS: Record<string, string> = {
  delete_because_no_resource_config: 'because {block} is not in configuration',
  delete_because_count_index: 'because index {key} is out of range for count',
  delete_because_each_key: 'because key {key} is not in for_each map',
  replace_because_tainted: 'tainted, so must be replaced',
  replace_by_request: 'replacement requested with -replace',
  replace_by_triggers: 'will be replaced due to changes in replace_triggered_by',
};

/** A data source read deferred to apply, as terraform prints it (`<= data ...`). */
export function renderDataRead(r: DataRead): string {
  const lines = [
    `  # ${r.address} will be read during apply`,
    `  # (${r.deferred ?? 'config refers to values not yet known'})`,
  ];
  lines.push(` <= data "${r.type}" "${r.name}" {`);
  const keys = [...Object.keys(r.config), ...(r.unknownArgs ?? [])].sort();
  const w = Math.max(0, ...keys.map((k) => k.length));
  for (const k of keys)
    lines.push(
      `      + ${k.padEnd(w)} = ${k in r.config ? formatValue(r.config[k], '      ') : '(known after apply)'}`,
    );
  lines.push('    }');
  return lines.join('\n');
}

function symbolFor(c: PlannedChange): string {
  switch (c.action) {
    case 'create':
      return '+';
    case 'update':
      return '~';
    case 'delete':
      return '-';
    case 'forget':
      return '.';
    case 'replace':
      return c.createBeforeDestroy ? '+/-' : '-/+';
    default:
      return ' ';
  }
}

/** Attribute lines of one resource change, aligned like terraform's. */
function attributeLines(c: PlannedChange): string[] {
  const before = marked(c.before ?? {}, c.beforeSensitive);
  const after = marked(c.after ?? {}, c.afterSensitive);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const forces = new Set(c.replacePaths.map((p) => p[0]));
  const rows: Array<[string, string, string]> = [];
  let hidden = 0;
  for (const k of keys) {
    const b = before[k];
    const a = after[k];
    const note = c.notes?.[k];
    const suffix = (forces.has(k) ? ' # forces replacement' : '') + (note ? ` # ${note}` : '');
    if (c.action === 'create') {
      if (a === undefined || a === null) continue;
      rows.push(['+', k, formatValue(a, '      ') + suffix]);
    } else if (c.action === 'delete') {
      if (b === undefined || b === null) continue;
      rows.push(['-', k, `${formatValue(b, '      ')} -> null`]);
    } else {
      const same =
        JSON.stringify(a ?? null) === JSON.stringify(b ?? null) && !(a instanceof Unknown);
      if (same) {
        if (k === 'id' || k === 'name') rows.push([' ', k, formatValue(a, '      ')]);
        else if (a !== undefined && a !== null) hidden++;
        continue;
      }
      if (a instanceof Sensitive || b instanceof Sensitive) {
        // terraform shows one `(sensitive value)` for a change of a sensitive attribute.
        const sym = b === undefined || b === null ? '+' : a === undefined || a === null ? '-' : '~';
        rows.push([sym, k, `${SENSITIVE_TEXT}${sym === '-' ? ' -> null' : ''}${suffix}`]);
      } else if (b === undefined || b === null)
        rows.push(['+', k, formatValue(a, '      ') + suffix]);
      else if (a === undefined || a === null)
        rows.push(['-', k, `${formatValue(b, '      ')} -> null${suffix}`]);
      else
        rows.push(['~', k, `${formatValue(b, '      ')} -> ${formatValue(a, '      ')}${suffix}`]);
    }
  }
  const w = Math.max(0, ...rows.map((r) => r[1].length));
  const lines = rows.map(([s, k, v]) => `      ${s} ${k.padEnd(w)} = ${v}`);
  if (hidden)
    lines.push(`        # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
  return lines;
}

export function renderChange(c: PlannedChange): string {
  const who = c.deposed ? `${c.address} (deposed object ${c.deposed})` : c.address;
  const lines: string[] = [];
  if (c.movedFrom !== undefined) lines.push(`  # ${c.movedFrom} has moved to ${c.address}`);
  if (c.action === 'forget')
    lines.push('  # (it is removed from the state, but the object is not destroyed)');
  if (c.action !== 'noop') lines.push(`  # ${who} ${HEADERS[c.action] ?? ''}`);
  else if (c.importing) lines.push(`  # ${who} will be imported`);
  if (c.importing && c.action !== 'noop')
    lines.push(`  # (imported from ${JSON.stringify(c.importing.id)})`);
  if (c.actionReason === 'delete_because_wrong_repetition') {
    // Terraform's wording, by the kind of key the orphaned instance has.
    lines.push(
      `  # (because resource ${c.index === undefined ? 'uses count or for_each' : typeof c.index === 'number' ? 'does not use count' : 'does not use for_each'})`,
    );
  } else if (c.actionReason && REASONS[c.actionReason]) {
    const key = c.index === undefined ? '' : formatKey(c.index);
    lines.push(
      `  # (${REASONS[c.actionReason]!.replace('{block}', c.block).replace('{key}', key)})`,
    );
  }
  if (c.action === 'replace' && c.replacePaths.length) {
    const attrs = c.replacePaths.map((p) => p.join('.'));
    lines.push(
      `  # (${attrs.join(', ')} cannot be changed in place${c.createBeforeDestroy ? '; the new object is created before the old one is destroyed' : ''})`,
    );
  }
  const sym = symbolFor(c);
  const lead = sym.length === 1 ? `  ${sym} ` : `${sym} `;
  lines.push(`${lead}resource "${c.type}" "${c.name}" {`);
  lines.push(...attributeLines(c));
  lines.push('    }');
  return lines.join('\n');
}

/** Attributes with the marks of `paths` put back, so formatValue hides them. */
function marked(attrs: Attrs, paths: readonly SensitivePath[] | undefined): Attrs {
  return paths?.length ? (markPaths(attrs, paths) as Attrs) : attrs;
}

function renderDrift(entry: DriftEntry): string {
  const d = {
    ...entry,
    before: marked(entry.before, entry.sensitive),
    after: entry.after && marked(entry.after, entry.sensitive),
  };
  const lines = [`  # ${d.address} has ${d.action === 'delete' ? 'been deleted' : 'changed'}`];
  if (d.action === 'delete') {
    lines.push(`  - resource "${d.type}" "${d.name}" {`);
    for (const k of Object.keys(d.before).sort()) {
      if (k === 'id' || k === 'arn' || k === 'name')
        lines.push(`      - ${k} = ${formatValue(d.before[k])} -> null`);
    }
    lines.push('    }');
  } else {
    lines.push(`  ~ resource "${d.type}" "${d.name}" {`);
    const after = d.after ?? {};
    for (const k of [...new Set([...Object.keys(d.before), ...Object.keys(after)])].sort()) {
      if (JSON.stringify(d.before[k] ?? null) !== JSON.stringify(after[k] ?? null)) {
        lines.push(
          `      ~ ${k} = ${formatValue(d.before[k], '      ')} -> ${formatValue(after[k], '      ')}`,
        );
      }
    }
    lines.push('    }');
  }
  return lines.join('\n');
}

function renderOutputChange(name: string, o: OutputChange, w: number): string {
  const sym = o.action === 'create' ? '+' : o.action === 'delete' ? '-' : '~';
  const show = (v: Value | null) => (o.sensitive ? SENSITIVE_TEXT : formatValue(v, '    '));
  const value =
    o.action === 'create'
      ? show(o.after)
      : o.action === 'delete'
        ? `${show(o.before)} -> null`
        : o.sensitive
          ? SENSITIVE_TEXT
          : `${show(o.before)} -> ${show(o.after)}`;
  return `  ${sym} ${name.padEnd(w)} = ${value}`;
}

/** Only the "changed outside of cmek" section (what `cmek refresh` prints). */
export function renderDriftText(plan: Plan): string {
  if (!plan.drift.length) return '';
  const out = ['Note: Objects have changed outside of cmek', ''];
  for (const d of plan.drift) out.push(renderDrift(d), '');
  return `${out.join('\n')}\n`;
}

/** The plan as `terraform plan` prints it. */
export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  if (plan.drift.length) {
    out.push('Note: Objects have changed outside of cmek', '');
    out.push(
      'cmek detected the following changes made outside of cmek since the last "cmek apply":',
      '',
    );
    for (const d of plan.drift) out.push(renderDrift(d), '');
  }
  if (plan.mode === 'refresh-only') {
    out.push(
      ...(plan.drift.length
        ? [
            'This is a refresh-only plan, so cmek will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the cmek state without changing any remote objects.',
          ]
        : [
            'No changes. Your infrastructure still matches the configuration.',
            '',
            'cmek has checked that the real remote objects still match the result of your most recent changes, and found no differences.',
          ]),
    );
    return `${out.join('\n')}\n`;
  }
  const changes = plan.changes.filter(
    (c) => c.action !== 'noop' || c.movedFrom !== undefined || c.importing,
  );
  const outputs = Object.entries(plan.outputChanges).filter(([, o]) => o.action !== 'noop');
  const reads = (plan.reads ?? []).filter((r) => r.deferred);
  if (!changes.length && !reads.length) {
    if (outputs.length) {
      out.push('Changes to Outputs:');
      const w = Math.max(...outputs.map(([n]) => n.length));
      for (const [n, o] of outputs) out.push(renderOutputChange(n, o, w));
      out.push(
        '',
        'You can apply this plan to save these new output values to the state, without changing any real infrastructure.',
      );
    } else {
      out.push('No changes. Your infrastructure matches the configuration.', '');
      out.push(
        'cmek has compared your real infrastructure against your configuration and found no differences, so no changes are needed.',
      );
    }
    return `${out.join('\n')}\n`;
  }
  const used = new Set(changes.map(symbolFor));
  out.push(
    'cmek used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:',
  );
  const legend: Array<[string, string]> = [
    ['+', 'create'],
    ['~', 'update in-place'],
    ['-', 'destroy'],
    ['-/+', 'destroy and then create replacement'],
    ['+/-', 'create replacement and then destroy'],
    ['.', 'forget'],
  ];
  for (const [s, t] of legend) if (used.has(s)) out.push(`${s.length === 1 ? `  ${s}` : s} ${t}`);
  if (reads.length) out.push(' <= read (data resources)');
  out.push('', 'cmek will perform the following actions:', '');
  for (const r of reads) out.push(renderDataRead(r), '');
  for (const c of changes) out.push(renderChange(c), '');
  const n = planCounts(plan);
  out.push(
    `Plan: ${n.import ? `${n.import} to import, ` : ''}${n.add} to add, ${n.change} to change, ${n.destroy} to destroy${n.forget ? `, ${n.forget} to forget` : ''}.`,
  );
  if (outputs.length) {
    out.push('', 'Changes to Outputs:');
    const w = Math.max(...outputs.map(([name]) => name.length));
    for (const [name, o] of outputs) out.push(renderOutputChange(name, o, w));
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON plan representation (terraform show -json PLANFILE)

function actionsOf(c: PlannedChange): string[] {
  switch (c.action) {
    case 'create':
      return ['create'];
    case 'update':
      return ['update'];
    case 'delete':
      return ['delete'];
    case 'forget':
      return ['forget'];
    case 'replace':
      return c.createBeforeDestroy ? ['create', 'delete'] : ['delete', 'create'];
    default:
      return ['no-op'];
  }
}

/** Unknown → null (Terraform's JSON puts unknowns in after_unknown instead). */
function plain(v: Value | null | undefined): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(v ?? null));
}

/** Terraform's `before_sensitive` / `after_sensitive` / `sensitive_values` of an object:
 * false when there is none, `{}` when nothing in it is sensitive. */
function sensitiveJson(v: Attrs | null, paths: readonly SensitivePath[] | undefined): unknown {
  return v === null ? false : sensitiveMask(v, paths ?? []);
}

/** Terraform's module tree of JSON values: the root module's resources, and `child_modules`
 * (each with its `address` and its own resources and children) for resources in module
 * instances (their address starts with the module path). */
export function moduleTree<R extends object>(
  resources: readonly R[],
  moduleOf: (r: R) => string | undefined,
): Record<string, unknown> {
  interface Mod {
    address?: string;
    resources: unknown[];
    children: Map<string, Mod>;
  }
  const root: Mod = { resources: [], children: new Map() };
  const at = (module: string): Mod => {
    let cur = root;
    const path = parseModuleAddress(module);
    if (!path.ok) return root;
    for (let i = 0; i < path.path.length; i++) {
      const address = formatModulePath(path.path.slice(0, i + 1));
      let next = cur.children.get(address);
      if (!next)
        cur.children.set(address, (next = { address, resources: [], children: new Map() }));
      cur = next;
    }
    return cur;
  };
  for (const r of resources) at(moduleOf(r) ?? '').resources.push(r);
  const json = (m: Mod): Record<string, unknown> => ({
    ...(m.address ? { address: m.address } : {}),
    resources: m.resources,
    ...(m.children.size ? { child_modules: [...m.children.values()].map(json) } : {}),
  });
  return json(root);
}

function resourceValues(
  address: string,
  type: string,
  name: string,
  index: InstanceKey | undefined,
  values: Attrs,
  sensitive: readonly SensitivePath[] | undefined,
  mode: 'managed' | 'data' = 'managed',
) {
  return {
    address,
    mode,
    type,
    name,
    ...(index !== undefined ? { index } : {}),
    provider_name: PROVIDER_NAME,
    schema_version: 0,
    values: plain(values),
    sensitive_values: sensitiveJson(values, sensitive),
  };
}

/** Terraform's JSON state representation ("values") of a state file. */
export function stateValuesJson(state: StateFile | null): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  for (const [k, o] of Object.entries(state?.outputs ?? {})) {
    outputs[k] = { sensitive: o.sensitive ?? false, value: o.value, type: o.type };
  }
  const modules = new Map<object, string>();
  const tagged = <T extends object>(v: T, module: string | undefined): T => {
    if (module) modules.set(v, module);
    return v;
  };
  const resources = [
    // What data sources read (docs/configuration.md, "Data sources"), first, as terraform.
    ...(state?.resources ?? [])
      // One per instance (with count / for_each, `data.TYPE.NAME[KEY]` and its index).
      .filter((r) => r.mode === 'data')
      .flatMap((r) =>
        r.instances.map((i) =>
          tagged(
            resourceValues(
              withModule(r.module, `data.${formatAddress(r.type, r.name, i.index_key)}`),
              r.type,
              r.name,
              i.index_key,
              i.attributes,
              [],
              'data',
            ),
            r.module,
          ),
        ),
      ),
    ...stateInstances(state)
      .filter((e) => !e.deposed)
      .map((e) =>
        tagged(
          resourceValues(
            e.address,
            e.type,
            e.name,
            e.index,
            e.instance.attributes,
            stateSensitivePaths(e.instance),
          ),
          e.module,
        ),
      ),
  ];
  return { outputs, root_module: moduleTree(resources, (r) => modules.get(r)) };
}

/** `show -json` without a plan: the state. */
export function renderStateJson(state: StateFile | null): Record<string, unknown> {
  if (!state) return { format_version: STATE_JSON_FORMAT_VERSION };
  return {
    format_version: STATE_JSON_FORMAT_VERSION,
    terraform_version: ENGINE_VERSION,
    values: stateValuesJson(state),
  };
}

function expressionJson(e: Expr): Record<string, unknown> {
  if (e.refs.length) {
    // Terraform lists the attribute traversal first, then the resource (`aws_kms_key.k.arn`,
    // `aws_kms_key.k`). The loader reports roots; the attribute comes from the source text.
    const refs: string[] = [];
    const add = (r: string) => {
      if (!refs.includes(r)) refs.push(r);
    };
    for (const r of e.refs) {
      const root = r.replace(/\[[^\]]*\]$/, '');
      const isResource = !/^(var|local|count)\./.test(root);
      if (isResource) {
        const esc = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        for (const m of (e.text ?? '').matchAll(
          new RegExp(`\\b${esc}(\\[[^\\]]*\\])?\\.([A-Za-z_][\\w-]*)`, 'g'),
        )) {
          add(`${root}${m[1] ?? ''}.${m[2]}`);
        }
      }
      add(r);
    }
    return { references: refs };
  }
  try {
    const v = e.evaluate({ baseDir: '.', lookup: () => undefined });
    return { constant_value: plain(v) };
  } catch {
    return {};
  }
}

export function configurationJson(config: Config | undefined): Record<string, unknown> {
  if (!config) return {};
  const expressions = (attrs: Record<string, Expr>) =>
    Object.fromEntries(Object.entries(attrs).map(([k, e]) => [k, expressionJson(e)]));
  return {
    provider_config: {
      cmek: {
        name: 'cmek',
        full_name: PROVIDER_NAME,
        ...(config.provider
          ? {
              expressions: Object.fromEntries(
                Object.entries(expressions(config.provider.attributes)).map(([k, v]) =>
                  // server: the secret of `cmek server` credentials never reaches a plan.
                  k === 'secret_key' ? [k, { sensitive: true }] : [k, v],
                ),
              ),
            }
          : {}),
      },
    },
    root_module: moduleJson(config),
  };

  /** One module's configuration: its own blocks (a module instance's expanded blocks are not
   * its caller's), and its `module_calls` with the called module's configuration. */
  function moduleJson(c: Config): Record<string, unknown> {
    return {
      resources: c.resources
        .filter((r) => !r.module)
        .map((r) => ({
          address: r.address,
          mode: 'managed',
          type: r.type,
          name: r.name,
          provider_config_key: 'cmek',
          expressions: expressions(r.attributes),
          schema_version: 0,
          ...(r.count ? { count_expression: expressionJson(r.count) } : {}),
          ...(r.forEach ? { for_each_expression: expressionJson(r.forEach) } : {}),
          ...(r.dependsOn.length ? { depends_on: r.dependsOn } : {}),
        })),
      ...(c.outputs.length
        ? {
            outputs: Object.fromEntries(
              c.outputs.map((o) => [
                o.name,
                {
                  expression: expressionJson(o.value),
                  ...(o.sensitive ? { sensitive: true } : {}),
                  ...(o.description ? { description: o.description } : {}),
                },
              ]),
            ),
          }
        : {}),
      ...(c.modules?.length
        ? {
            module_calls: Object.fromEntries(
              c.modules.map((m) => [
                m.name,
                {
                  source: m.source,
                  expressions: expressions(m.args),
                  ...(m.count ? { count_expression: expressionJson(m.count) } : {}),
                  ...(m.forEach ? { for_each_expression: expressionJson(m.forEach) } : {}),
                  ...(m.dependsOn.length ? { depends_on: m.dependsOn } : {}),
                  module: moduleJson(m.config),
                },
              ]),
            ),
          }
        : {}),
      ...(c.variables.length
        ? {
            variables: Object.fromEntries(
              c.variables.map((v) => [
                v.name,
                {
                  ...(v.default !== undefined ? { default: plain(v.default) } : {}),
                  ...(v.description ? { description: v.description } : {}),
                  ...(v.sensitive ? { sensitive: true } : {}),
                },
              ]),
            ),
          }
        : {}),
    };
  }
}

function changeJson(
  c: PlannedChange | DriftEntry,
  actions: string[],
  sensitive: { before?: SensitivePath[]; after?: SensitivePath[] },
  extra: Record<string, unknown> = {},
) {
  const after = c.after;
  return {
    address: c.address,
    ...('module' in c && c.module ? { module_address: c.module } : {}),
    mode: 'managed',
    type: c.type,
    name: c.name,
    ...(c.index !== undefined ? { index: c.index } : {}),
    ...('deposed' in c && c.deposed ? { deposed: c.deposed } : {}),
    provider_name: PROVIDER_NAME,
    change: {
      actions,
      before: plain(c.before),
      after: plain(after),
      after_unknown: after ? unknownMaskObject(after) : {},
      before_sensitive: sensitiveJson(c.before, sensitive.before),
      after_sensitive: sensitiveJson(after, sensitive.after),
      ...extra,
    },
  };
}

function unknownMaskObject(v: Attrs): unknown {
  const m = unknownMask(v);
  return m === false ? {} : m;
}

/** Terraform's JSON plan representation, with our diagnostics and `errored`. */
export function renderPlanJson(plan: Plan, config?: Config): Record<string, unknown> {
  const planned: Record<string, unknown>[] = [];
  const plannedModules = new Map<object, string>();
  for (const c of plan.changes) {
    if (c.action === 'delete' || !c.after) continue;
    // Terraform leaves values known only after apply out of planned_values (they are in
    // resource_changes[].change.after_unknown).
    const known: Attrs = {};
    for (const [k, v] of Object.entries(c.after)) if (!(v instanceof Unknown)) known[k] = v;
    const v = resourceValues(c.address, c.type, c.name, c.index, known, c.afterSensitive);
    planned.push(v);
    if (c.module) plannedModules.set(v, c.module);
  }
  const plannedOutputs: Record<string, unknown> = {};
  const outputChanges: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(plan.outputChanges)) {
    if (o.action !== 'delete') {
      plannedOutputs[name] = {
        sensitive: o.sensitive,
        ...(o.afterUnknown ? {} : { value: plain(o.after) }),
      };
    }
    outputChanges[name] = {
      actions: [o.action === 'noop' ? 'no-op' : o.action],
      before: plain(o.before),
      after: plain(o.after),
      after_unknown: o.afterUnknown,
      before_sensitive: o.sensitive,
      after_sensitive: o.sensitive,
    };
  }
  const variables: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(plan.variables)) variables[k] = { value: plain(v) };
  return {
    format_version: PLAN_JSON_FORMAT_VERSION,
    terraform_version: ENGINE_VERSION,
    variables,
    planned_values: {
      outputs: plannedOutputs,
      root_module: moduleTree(planned, (r) => plannedModules.get(r)),
    },
    resource_drift: plan.drift.map((d) =>
      changeJson(d, [d.action], { before: d.sensitive, after: d.sensitive }),
    ),
    resource_changes: [
      // Data sources read during apply: terraform's "read" changes.
      ...(plan.reads ?? [])
        .filter((r) => r.deferred)
        .map((r) => ({
          address: r.address,
          mode: 'data',
          type: r.type,
          name: r.name,
          ...(r.index !== undefined ? { index: r.index } : {}),
          provider_name: PROVIDER_NAME,
          change: {
            actions: ['read'],
            before: null,
            after: plain(r.config),
            after_unknown: Object.fromEntries((r.unknownArgs ?? []).map((k) => [k, true])),
            before_sensitive: false,
            after_sensitive: {},
          },
          action_reason: r.unknownArgs?.length
            ? 'read_because_config_unknown'
            : 'read_because_dependency_pending',
        })),
      ...plan.changes.map((c) => ({
        ...changeJson(
          c,
          actionsOf(c),
          { before: c.beforeSensitive, after: c.afterSensitive },
          {
            ...(c.replacePaths.length ? { replace_paths: c.replacePaths } : {}),
            ...(c.importing ? { importing: { id: c.importing.id } } : {}),
          },
        ),
        ...(c.actionReason ? { action_reason: c.actionReason } : {}),
        ...(c.movedFrom !== undefined ? { previous_address: c.movedFrom } : {}),
      })),
    ],
    output_changes: outputChanges,
    prior_state: plan.priorState
      ? {
          format_version: STATE_JSON_FORMAT_VERSION,
          terraform_version: ENGINE_VERSION,
          values: stateValuesJson(plan.priorState),
        }
      : {},
    configuration: configurationJson(config),
    timestamp: plan.createdAt,
    applyable: !plan.errored && plan.changes.some((c) => c.action !== 'noop' || c.importing),
    complete: true,
    errored: plan.errored,
    diagnostics: plan.diagnostics as Diagnostic[],
  };
}

// ---------------------------------------------------------------------------------------------
// State, for `show` and `state show`

export function renderInstanceText(
  type: string,
  name: string,
  address: string,
  plainAttrs: Attrs,
  sensitive?: readonly SensitivePath[],
): string {
  const attrs = marked(plainAttrs, sensitive);
  const keys = Object.keys(attrs).sort();
  const w = Math.max(0, ...keys.map((k) => k.length));
  const lines = [`# ${address}:`, `resource "${type}" "${name}" {`];
  for (const k of keys) {
    const v = attrs[k];
    if (v === null || v === undefined) continue;
    lines.push(`    ${k.padEnd(w)} = ${formatValue(v, '    ')}`);
  }
  lines.push('}');
  return lines.join('\n');
}

export function renderStateText(state: StateFile | null): string {
  const entries = stateInstances(state).filter((e) => !e.deposed);
  if (!state || (!entries.length && !Object.keys(state.outputs).length))
    return 'The state file is empty. No resources are represented.\n';
  const parts = entries.map((e) =>
    renderInstanceText(
      e.type,
      e.name,
      e.address,
      e.instance.attributes,
      stateSensitivePaths(e.instance),
    ),
  );
  const outs = Object.entries(state.outputs);
  if (outs.length) {
    const w = Math.max(...outs.map(([n]) => n.length));
    parts.push(
      [
        'Outputs:',
        '',
        ...outs.map(
          ([n, o]) => `${n.padEnd(w)} = ${o.sensitive ? SENSITIVE_TEXT : formatValue(o.value)}`,
        ),
      ].join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

export function isPlainAttrs(v: unknown): v is Attrs {
  return isPlainObject(v);
}
