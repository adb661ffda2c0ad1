// One declaration per resource type: its attributes (type, required / optional / computed,
// forces replacement, sensitive, default, validation, description), its CMEK role for the rules,
// and its CRUD code. Everything else is derived from it by code: the zod schema the engine
// validates configuration with, the computed / force-new / sensitive lists, the generic plan
// (defaults, computed values, replacement), a plain serializable description
// (`describeResource`) that provider schemas (tfplugin6, Pulumi, cdktf) and the docs tables
// (src/resources/docs.ts) are generated from, and the rules' role table. The attribute model
// follows terraform-plugin-framework's: Required, Optional, Computed, Optional+Computed,
// RequiresReplace, Sensitive. See docs/engine.md, "Adding a resource type".
import { z } from 'zod';
import type { Diagnostic } from '../model/diagnostics.js';
import { Unknown, isUnknown, type Attrs, type KeyFacts, type Value } from '../model/values.js';
import type { ResourceRole } from '../rules/cmek.js';
import { planGeneric } from './common.js';
import type { PlanInput, PlannedResource, ProviderContext, ResourceType } from './types.js';

/** Attribute value types: what a tfplugin6 / Pulumi / cdktf schema needs to know. */
export type AttrType = 'string' | 'number' | 'bool' | 'map(string)' | 'list(string)';

export interface TypeValues {
  string: string;
  number: number;
  bool: boolean;
  'map(string)': Record<string, string>;
  'list(string)': string[];
}

/** required: must be written. optional: may be written. computed: set by the provider only.
 * optional_computed: may be written; when not, the provider chooses (and keeps) a value. */
export type AttrMode = 'required' | 'optional' | 'computed' | 'optional_computed';

export interface AttributeDef<T extends AttrType = AttrType, M extends AttrMode = AttrMode> {
  type: T;
  mode: M;
  /** What the attribute means, its values and its default: feeds the docs tables and the
   * generated provider schemas. Markdown (backticks) allowed. */
  description: string;
  /** A change replaces the resource (RequiresReplace). */
  forceNew?: boolean;
  /** Never shown in plan output or docs examples (a secret). */
  sensitive?: boolean;
  /** Value planned when the configuration leaves the attribute out (or sets it to null). */
  default?: TypeValues[T];
  /** The value's schema when its type says too little (pattern, range, enum). Must accept
   * only values of `type`. Cross-attribute checks go in the definition's `validate`. */
  validate?: z.ZodType<TypeValues[T]>;
}

type Attributes = Record<string, AttributeDef>;

type ValueOf<A> = A extends AttributeDef<infer T> ? TypeValues[T] : never;
type ModeOf<A> = A extends AttributeDef<AttrType, infer M> ? M : never;

/** The attributes of a resource as its CRUD code sees them: required ones present, the rest
 * possibly absent or null. Values not known yet are left out (never an Unknown). */
export type Shape<A extends Attributes> = {
  -readonly [N in keyof A as ModeOf<A[N]> extends 'required' ? N : never]: ValueOf<A[N]>;
} & {
  -readonly [N in keyof A as ModeOf<A[N]> extends 'required' ? never : N]?: ValueOf<A[N]> | null;
};

/** The configuration attributes (what the schema validates), for cross-attribute checks. */
export type ConfigShape<A extends Attributes> = {
  -readonly [N in keyof A as ModeOf<A[N]> extends 'required' ? N : never]: ValueOf<A[N]>;
} & {
  -readonly [
    N in keyof A as ModeOf<A[N]> extends 'optional' | 'optional_computed' ? N : never
  ]?: ValueOf<A[N]>;
};

export interface ResourceDefinition<A extends Attributes> {
  type: string;
  /** One paragraph on what the resource is (the docs page keeps the longer prose). */
  description: string;
  attributes: A;
  /** How the CMEK rules see this type; absent = not a CMEK resource. */
  role?: ResourceRole;
  /** Cross-attribute checks on the configuration (zod refinement); report with
   * `ctx.addIssue({ code: 'custom', path: [attribute], message })`. */
  validate?(config: ConfigShape<A>, ctx: z.RefinementCtx): void;
  /** Facts carried by unknown computed values (a key's region and provider). */
  unknownFor?(attr: string, after: Attrs): Unknown;
  /** What is specific to this type's plan, on top of the generic one (`generic()`: defaults,
   * computed values unknown on create and kept on update, replacement from `forceNew`). */
  plan?(input: PlanInput, generic: () => PlannedResource): PlannedResource;
  create(planned: Shape<A>, ctx: ProviderContext): Promise<Attrs>;
  /** Current attributes, or null if the object is gone (drift). */
  read(prior: Shape<A>, ctx: ProviderContext): Promise<Attrs | null>;
  update(prior: Shape<A>, planned: Shape<A>, ctx: ProviderContext): Promise<Attrs>;
  delete(prior: Shape<A>, ctx: ProviderContext): Promise<void>;
  keyFacts?(after: Attrs, address: string): KeyFacts | undefined;
  adopt?(planned: Shape<A>, ctx: ProviderContext): Promise<Attrs | null>;
  /** Plan-time checks against the real world (see `ResourceType.checkLive`). */
  checkLive?(planned: Shape<A>, ctx: () => Promise<ProviderContext>): Promise<Diagnostic[]>;
  /** `cmek import` / `import {}`: what `read` needs to find the object a user names by `id`
   * (see ResourceType.importState). */
  importState?(id: string, ctx: ProviderContext): Promise<Attrs | null>;
}

/** A plain, JSON-serializable description of one attribute. */
export interface AttributeDescription {
  name: string;
  type: AttrType;
  required: boolean;
  optional: boolean;
  computed: boolean;
  forceNew: boolean;
  sensitive: boolean;
  description: string;
  default?: Value;
}

/** A plain, JSON-serializable description of a resource type's schema. */
export interface ResourceDescription {
  type: string;
  description: string;
  attributes: AttributeDescription[];
  role?: ResourceRole;
}

/** The engine-facing resource type, plus the declaration it was derived from. */
export interface DefinedResource<A extends Attributes = Attributes> extends ResourceType {
  definition: ResourceDefinition<A>;
}

const BASE: { [T in AttrType]: () => z.ZodType } = {
  string: () => z.string(),
  number: () => z.number(),
  bool: () => z.boolean(),
  'map(string)': () => z.record(z.string(), z.string()),
  'list(string)': () => z.array(z.string()),
};

const configurable = (a: AttributeDef) => a.mode !== 'computed';

/** The zod schema of the configuration attributes. */
export function schemaOf<A extends Attributes>(def: ResourceDefinition<A>): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, a] of Object.entries(def.attributes)) {
    if (!configurable(a)) continue;
    const base = a.validate ?? BASE[a.type]();
    shape[name] = a.mode === 'required' ? base : base.optional();
  }
  const obj = z.object(shape);
  return def.validate ? obj.superRefine((v, ctx) => def.validate!(v as ConfigShape<A>, ctx)) : obj;
}

function names(attrs: Attributes, keep: (a: AttributeDef) => boolean): string[] {
  return Object.entries(attrs)
    .filter(([, a]) => keep(a))
    .map(([n]) => n);
}

/** Attribute values the CRUD code may rely on: unknown values (not decided yet) left out. */
function known<A extends Attributes>(attrs: Attrs): Shape<A> {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (!isUnknown(v)) out[k] = v;
  return out as Shape<A>;
}

/** Declare a resource type once; returns the engine-facing ResourceType derived from it. */
export function defineResource<const A extends Attributes>(
  def: ResourceDefinition<A>,
): DefinedResource<A> {
  const computed = names(def.attributes, (a) => a.mode === 'computed');
  const forceNew = names(def.attributes, (a) => a.forceNew === true);
  const optionalComputed = names(def.attributes, (a) => a.mode === 'optional_computed');
  const defaults: Record<string, Value> = {};
  for (const [n, a] of Object.entries(def.attributes))
    if (a.default !== undefined) defaults[n] = a.default as Value;
  const generic = (input: PlanInput) => () =>
    planGeneric(input.config, input.prior, {
      ...(Object.keys(defaults).length ? { defaults } : {}),
      computed,
      forceNew,
      ...(optionalComputed.length ? { optionalComputed } : {}),
      ...(def.unknownFor
        ? { unknownFor: (a: string, after: Attrs) => def.unknownFor!(a, after) }
        : {}),
    });
  const rt: DefinedResource<A> = {
    type: def.type,
    schema: schemaOf(def),
    computed,
    forceNew,
    sensitive: names(def.attributes, (a) => a.sensitive === true),
    plan: (input) => (def.plan ? def.plan(input, generic(input)) : generic(input)()),
    create: (planned, ctx) => def.create(known<A>(planned), ctx),
    read: (prior, ctx) => def.read(known<A>(prior), ctx),
    update: (prior, planned, ctx) => def.update(known<A>(prior), known<A>(planned), ctx),
    delete: (prior, ctx) => def.delete(known<A>(prior), ctx),
    definition: def,
  };
  if (def.keyFacts) rt.keyFacts = def.keyFacts.bind(def);
  const adopt = def.adopt;
  if (adopt) rt.adopt = (planned, ctx) => adopt(known<A>(planned), ctx);
  const checkLive = def.checkLive;
  if (checkLive) rt.checkLive = (planned, ctx) => checkLive(known<A>(planned), ctx);
  if (def.importState) rt.importState = def.importState.bind(def);
  return rt;
}

/** The serializable schema of a definition: what tfplugin6 / Pulumi / cdktf schemas and the
 * docs tables are generated from. */
export function describeResource(def: ResourceDefinition<Attributes>): ResourceDescription {
  const out: ResourceDescription = {
    type: def.type,
    description: def.description,
    attributes: Object.entries(def.attributes).map(([name, a]) => {
      const d: AttributeDescription = {
        name,
        type: a.type,
        required: a.mode === 'required',
        optional: a.mode === 'optional' || a.mode === 'optional_computed',
        computed: a.mode === 'computed' || a.mode === 'optional_computed',
        forceNew: a.forceNew === true,
        sensitive: a.sensitive === true,
        description: a.description,
      };
      if (a.default !== undefined) d.default = a.default as Value;
      return d;
    }),
  };
  if (def.role) out.role = def.role;
  return out;
}

/** Sensitive attribute names of a definition. */
export function sensitiveAttributes(def: ResourceDefinition<Attributes>): string[] {
  return names(def.attributes, (a) => a.sensitive === true);
}
