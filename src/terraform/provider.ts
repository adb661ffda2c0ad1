// The cmek Terraform provider: `ProviderHandler` (src/terraform/handler.ts) over the single
// resource definitions (src/resources) and the CMEK rules. The wire layer (src/terraform/wire/)
// speaks tfplugin6 and calls these methods with decoded values. Nothing here declares a schema,
// a rule or a message of its own:
// - schemas come from `describeResources()` / the data source declarations / PROVIDER_BLOCK;
// - plans come from each type's `plan` (defaults, computed values, force-new), with the key ARN
//   of a key about to be created planned as an unknown refined with its known prefix;
// - plan-time rules are `checkResource` (src/resources/checks.ts) plus each type's `checkLive`;
// - apply / read / import are the types' CRUD and `importState`.
// Diagnostics carry our code in the summary (`CMEK_REGION_MISMATCH: ...`), the attribute path
// (terraform points at the line), and the remedy in the detail. See docs/terraform.md.

import { DiagnosticError, diag, type Diagnostic } from '../model/diagnostics.js';
import { Unknown, isUnknown, type Attrs } from '../model/values.js';
import { validateAttributes } from '../engine/schema.js';
import { checkResource, liveFacts } from '../resources/checks.js';
import {
  DATA_SOURCES,
  describeDataSource,
  readDataSource,
  type DataSourceDefinition,
} from '../resources/data-sources.js';
import type { AttrType, AttributeDescription } from '../resources/define.js';
import { createProviderContext, describeResources, resourceType } from '../resources/index.js';
import { plannedKeyRef } from '../resources/kms-key.js';
import {
  PROVIDER_ARGUMENTS,
  PROVIDER_BLOCK,
  defaultProviderSettings,
  readProviderBlock,
} from '../engine/provider-block.js';
import type { ProviderContext, ProviderSettings, ResourceType } from '../resources/types.js';
import { createIdentity, isMarked, markCreate, unmark } from './created.js';
import type {
  CtyType,
  PlanResult,
  ProviderHandler,
  ProviderSchemas,
  StateResult,
  TfAttribute,
  TfDiagnostic,
  TfObject,
  TfSchema,
} from './handler.js';

export interface ProviderOptions {
  /** terraform's working directory (default: the process's, which terraform's is). */
  workdir?: string;
}

const CTY: Record<AttrType, CtyType> = {
  string: 'string',
  number: 'number',
  bool: 'bool',
  'map(string)': { map: 'string' },
  'list(string)': { list: 'string' },
};

/** A tfplugin6 attribute from a definition's description. An attribute with a default is
 * Optional+Computed, as terraform-plugin-framework requires: the provider plans the default. */
function tfAttribute(a: AttributeDescription): TfAttribute {
  const withDefault = a.default !== undefined;
  const out: TfAttribute = { name: a.name, type: CTY[a.type], description: a.description };
  if (a.required) out.required = true;
  if (a.optional) out.optional = true;
  if (a.computed || (withDefault && a.optional)) out.computed = true;
  if (a.sensitive) out.sensitive = true;
  return out;
}

function providerSchema(): TfSchema {
  const b = PROVIDER_BLOCK;
  const str = (name: string, description: string): TfAttribute => ({
    name,
    type: 'string',
    description,
    optional: true,
  });
  return {
    version: 0,
    block: {
      description: b.description,
      attributes: [
        str('data_dir', b.attributes.data_dir.description),
        str('service_principal', b.attributes.service_principal.description),
        str('endpoint', b.attributes.endpoint.description),
        str('access_key', b.attributes.access_key.description),
        { ...str('secret_key', b.attributes.secret_key.description), sensitive: true },
      ],
      blockTypes: [
        {
          typeName: 'kms',
          nesting: 'single',
          block: {
            description: b.kms.description,
            attributes: [],
            blockTypes: [
              {
                typeName: 'local',
                nesting: 'single',
                block: { description: b.kms.local.description, attributes: [] },
              },
              {
                typeName: 'aws',
                nesting: 'single',
                block: {
                  description: b.kms.aws.description,
                  attributes: [
                    str('region', b.kms.aws.region.description),
                    str('endpoint', b.kms.aws.endpoint.description),
                  ],
                },
              },
            ],
          },
        },
      ],
    },
  };
}

/** Our diagnostic as terraform's: the code leads the summary; the attribute path points terraform
 * at the line; the detail keeps the remedy. */
export function toTf(d: Diagnostic): TfDiagnostic {
  const out: TfDiagnostic = {
    severity: d.severity,
    summary: `${d.code}: ${d.summary}`,
    detail: d.detail,
  };
  if (d.attribute) out.attribute = d.attribute.split('.');
  return out;
}

/** An error thrown by resource code, as diagnostics (never a stack trace). */
function failure(e: unknown, what: string): TfDiagnostic[] {
  if (e instanceof DiagnosticError) return e.diagnostics.map(toTf);
  const msg = e instanceof Error ? e.message : String(e);
  return [
    toTf(
      diag(
        'APPLY_FAILED',
        `${what} failed: ${msg}`,
        'Nothing after the failing call was done. Fix the cause and run terraform again; the ' +
          'next plan starts from what exists.',
      ),
    ),
  ];
}

/** Attributes without the nulls terraform sends for unset ones (the definitions' code treats
 * absent and null alike; the generic plan applies defaults only to absent ones). */
function present(o: TfObject | null): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== null) out[k] = v;
  return out;
}

function label(type: string, attrs: Attrs | null): string {
  const name = attrs?.name ?? attrs?.alias ?? attrs?.id;
  return typeof name === 'string' ? `${type} "${name}"` : type;
}

export function createProvider(opts: ProviderOptions = {}): ProviderHandler {
  const workdir = opts.workdir ?? process.cwd();
  const resources = new Map(describeResources().map((d) => [d.type, d]));
  const dataSources = new Map<string, DataSourceDefinition>(DATA_SOURCES.map((d) => [d.type, d]));
  const attrNames = new Map<string, string[]>();
  for (const d of resources.values())
    attrNames.set(
      d.type,
      d.attributes.map((a) => a.name),
    );
  for (const d of DATA_SOURCES)
    attrNames.set(
      `data.${d.type}`,
      describeDataSource(d).attributes.map((a) => a.name),
    );

  let settings: ProviderSettings = defaultProviderSettings(workdir);
  let ctxPromise: Promise<ProviderContext> | undefined;
  const getCtx = (): Promise<ProviderContext> => {
    if (!ctxPromise) {
      ctxPromise = createProviderContext(settings);
      ctxPromise.catch(() => (ctxPromise = undefined));
    }
    return ctxPromise;
  };
  /** Ids of objects this process planned to destroy: their key uses do not count against
   * destroying a key in the same run. */
  const leaving = new Set<string>();

  /** Every schema attribute present (null where unset), nothing else. */
  const complete = (key: string, attrs: Attrs): TfObject => {
    const out: TfObject = {};
    for (const n of attrNames.get(key) ?? []) out[n] = attrs[n] ?? null;
    return out;
  };

  const typeOf = (typeName: string): ResourceType => {
    const rt = resourceType(typeName);
    if (!rt)
      throw new DiagnosticError(
        diag(
          'CONFIG_SCHEMA',
          `Unknown resource type ${typeName}`,
          `This provider serves ${[...resources.keys()].join(', ')}.`,
        ),
      );
    return rt;
  };

  const settingsFrom = (config: TfObject): { s: ProviderSettings; diags: Diagnostic[] } => {
    const written = PROVIDER_ARGUMENTS.flatMap((name) => {
      const v = config[name];
      return isUnknown(v) ? [] : [[name, v ?? null] as const];
    });
    const { settings: s, diagnostics: diags } = readProviderBlock(
      workdir,
      written,
      (attribute) => ({
        attribute,
      }),
    );
    return { s, diags };
  };

  /** The plan of a create or update: the type's plan, every optional+computed attribute the
   * configuration leaves to the provider unknown on create, and a key's ARN refined. */
  const planChange = (
    typeName: string,
    rt: ResourceType,
    prior: TfObject | null,
    config: TfObject,
  ): { after: Attrs; requiresReplace: string[] } => {
    const desc = resources.get(typeName)!;
    const p = rt.plan({ config: present(config), ...(prior ? { prior: present(prior) } : {}) });
    const after = p.after;
    const fresh = !prior || p.requiresReplace.length > 0;
    for (const a of desc.attributes) {
      if (!(a.optional && a.computed)) continue;
      const v = after[a.name];
      if ((v === undefined || v === null) && fresh) after[a.name] = new Unknown();
    }
    const role = desc.role;
    if (fresh && role?.kind === 'key') {
      const planned = plannedKeyRef(after, settings.kms.backend === 'local');
      if (planned?.whole !== undefined) {
        for (const n of [role.refAttribute, ...(role.idAttributes ?? [])]) after[n] = planned.whole;
      } else if (planned?.prefix !== undefined) {
        after[role.refAttribute] = new Unknown(undefined, {
          notNull: true,
          prefix: planned.prefix,
        });
      }
      if (planned?.name !== undefined) after.name = planned.name;
    }
    return { after, requiresReplace: p.requiresReplace };
  };

  const handler: ProviderHandler = {
    schemas(): ProviderSchemas {
      const out: ProviderSchemas = { provider: providerSchema(), resources: {}, dataSources: {} };
      for (const d of resources.values())
        out.resources[d.type] = {
          version: 0,
          block: { description: d.description, attributes: d.attributes.map(tfAttribute) },
        };
      for (const d of DATA_SOURCES) {
        const dd = describeDataSource(d);
        out.dataSources[d.type] = {
          version: 0,
          block: { description: dd.description, attributes: dd.attributes.map(tfAttribute) },
        };
      }
      return out;
    },

    validateProviderConfig(config) {
      return settingsFrom(config).diags.map(toTf);
    },

    async configureProvider(config) {
      const { s, diags } = settingsFrom(config);
      if (diags.length) return diags.map(toTf);
      if (JSON.stringify(s) !== JSON.stringify(settings)) {
        settings = s;
        ctxPromise = undefined;
      }
      return [];
    },

    validateResourceConfig(typeName, config) {
      try {
        const rt = typeOf(typeName);
        const attrs = present(config);
        for (const c of rt.computed) delete attrs[c];
        return validateAttributes(rt, attrs, typeName, {}).map(toTf);
      } catch (e) {
        return failure(e, `Validating ${typeName}`);
      }
    },

    upgradeResourceState(typeName, _version, rawState) {
      // Version 0 is the only schema version so far: the stored JSON is the current shape.
      return { state: complete(typeName, rawState as Attrs) };
    },

    async readResource(typeName, current, priv): Promise<StateResult> {
      try {
        const rt = typeOf(typeName);
        const now = await rt.read(present(current), await getCtx());
        return { state: now ? complete(typeName, now) : null, private: priv };
      } catch (e) {
        return { state: current, private: priv, diagnostics: failure(e, `Reading ${typeName}`) };
      }
    },

    async planResourceChange(typeName, prior, proposed, config, priorPrivate): Promise<PlanResult> {
      try {
        const rt = typeOf(typeName);
        const facts = liveFacts(getCtx, settings.servicePrincipal);
        if (proposed === null || config === null) {
          const before = present(prior);
          if (typeof before.id === 'string') leaving.add(before.id);
          const ds = await checkResource(
            {
              type: typeName,
              address: label(typeName, before),
              prior: before,
              planned: null,
              leaving,
            },
            facts,
          );
          return { plannedState: null, diagnostics: ds.map(toTf), plannedPrivate: priorPrivate };
        }
        const { after, requiresReplace } = planChange(typeName, rt, prior, config);
        const before = prior ? present(prior) : null;
        const address = label(typeName, after);
        const diags: Diagnostic[] = await checkResource(
          { type: typeName, address, prior: before, planned: after, requiresReplace },
          facts,
        );
        if ((!prior || requiresReplace.length) && rt.checkLive)
          diags.push(...(await rt.checkLive(after, getCtx)));
        const result: PlanResult = {
          plannedState: complete(typeName, after),
          plannedPrivate: priorPrivate,
          diagnostics: diags.map(toTf),
        };
        if (requiresReplace.length) result.requiresReplace = requiresReplace.map((a) => [a]);
        return result;
      } catch (e) {
        return { plannedState: proposed, diagnostics: failure(e, `Planning ${typeName}`) };
      }
    },

    async applyResourceChange(
      typeName,
      prior,
      planned,
      _config,
      plannedPrivate,
    ): Promise<StateResult> {
      const rt = (() => {
        try {
          return typeOf(typeName);
        } catch {
          return undefined;
        }
      })();
      if (!rt) return { state: prior, diagnostics: failure(new Error('unknown type'), typeName) };
      try {
        const ctx = await getCtx();
        if (planned === null) {
          const before = present(prior);
          // Destroying a key: terraform has destroyed its users of this configuration first;
          // anything still using it is outside terraform's view, and the key stays.
          const blocked = (
            await checkResource(
              { type: typeName, address: label(typeName, before), prior: before, planned: null },
              liveFacts(getCtx, settings.servicePrincipal),
            )
          ).filter((d) => d.severity === 'error');
          if (blocked.length) return { state: prior, diagnostics: blocked.map(toTf) };
          await rt.delete(before, ctx);
          const identity = createIdentity(typeName, before);
          if (identity) await unmark(settings.dataDir, identity);
          return { state: null };
        }
        const after = present(planned);
        let result: Attrs;
        if (prior === null) {
          const identity = createIdentity(typeName, after);
          const found =
            identity && rt.adopt && (await isMarked(settings.dataDir, identity))
              ? await rt.adopt(after, ctx)
              : null;
          if (found) {
            // A create of an earlier run that terraform did not record (killed mid-apply).
            result = await rt.update(found, { ...found, ...after }, ctx);
          } else {
            if (identity) await markCreate(settings.dataDir, identity);
            result = await rt.create(after, ctx);
          }
        } else {
          result = await rt.update(present(prior), after, ctx);
        }
        // Values the plan promised stay as planned (terraform holds the result to them).
        for (const [k, v] of Object.entries(after))
          if (!isUnknown(v) && !(k in result)) result[k] = v;
        return { state: complete(typeName, result), private: plannedPrivate };
      } catch (e) {
        return { state: prior, diagnostics: failure(e, `Applying ${typeName}`) };
      }
    },

    async importResourceState(typeName, id) {
      try {
        const rt = typeOf(typeName);
        const ctx = await getCtx();
        const seed = rt.importState ? await rt.importState(id, ctx) : { id };
        const found = seed ? await rt.read(seed, ctx) : null;
        if (!found)
          return {
            imported: [],
            diagnostics: [
              toTf(
                diag(
                  'IMPORT_NOT_FOUND',
                  `No ${typeName} matches the id ${JSON.stringify(id)}`,
                  `Check the id (\`cmek kms ls\` lists the keys, \`cmek service ls\` the services, ` +
                    `\`cmek backup ls\` the backups) and that the provider's data_dir is the ` +
                    `directory that holds them.`,
                ),
              ),
            ],
          };
        return { imported: [{ typeName, state: complete(typeName, found) }] };
      } catch (e) {
        return { imported: [], diagnostics: failure(e, `Importing ${typeName}`) };
      }
    },

    validateDataResourceConfig(typeName, config) {
      const def = dataSources.get(typeName);
      if (!def)
        return [
          toTf(
            diag(
              'CONFIG_SCHEMA',
              `Unknown data source ${typeName}`,
              `This provider serves ${[...dataSources.keys()].join(', ')}.`,
            ),
          ),
        ];
      const v = config[def.lookup.name];
      if (v === null || (typeof v === 'string' && v === ''))
        return [
          toTf(
            diag(
              'CONFIG_SCHEMA',
              `${def.lookup.name} must be a non-empty string`,
              def.lookup.description,
              {
                attribute: def.lookup.name,
              },
            ),
          ),
        ];
      return [];
    },

    async readDataSource(typeName, config) {
      const def = dataSources.get(typeName);
      if (!def)
        return { state: null, diagnostics: handler.validateDataResourceConfig(typeName, config) };
      try {
        const found = await readDataSource(def, present(config), await getCtx());
        return { state: complete(`data.${typeName}`, found) };
      } catch (e) {
        return { state: null, diagnostics: failure(e, `Reading data.${typeName}`) };
      }
    },

    async stop() {
      ctxPromise = undefined;
    },
  };
  return handler;
}
