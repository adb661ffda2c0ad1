// What the dynamic providers of src/pulumi/provider.ts do, run inside Pulumi's dynamic-provider
// host: Pulumi's camelCase properties become the definition's snake_case attributes (the one
// mapping, src/model/case.ts), and every step calls the resource type's own code — its schema
// and rules in `check`, its `plan` in `diff` (replacement exactly where the engine replaces; a
// key change is a rotation or a CMEK_KEY_IMMUTABLE error by profile, as the rules decide), its
// CRUD in create/read/update/delete against the control plane and KMS the `cmek:*` config
// selects. Failures carry our diagnostic codes; no stack trace is shown for them.
import { isAbsolute, resolve } from 'node:path';
import { validateAttributes } from '../model/attribute-schema.js';
import { PULUMI_UNKNOWN, camelToSnake, pulumiClassName, snakeToCamel } from '../model/case.js';
import { DiagnosticError, diag, type Diagnostic } from '../model/diagnostics.js';
import { Unknown, isUnknown, type Attrs, type Value } from '../model/values.js';
import { checkResource, liveFacts } from '../resources/checks.js';
import { valuesEqual } from '../resources/common.js';
import { createProviderContext } from '../resources/context.js';
import type { DefinedResource } from '../resources/define.js';
import { RESOURCE_TYPES } from '../resources/index.js';
import {
  DEFAULT_SERVICE_PRINCIPAL,
  type ProviderContext,
  type ProviderSettings,
} from '../resources/types.js';
import type { CmekPulumiConfig } from './provider.js';

type Props = Record<string, unknown>;

/** Pulumi's marker key of a secret value in provider RPCs (`rpc.specialSigKey`/secret sig). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
/** The dynamic provider's own property: the serialized provider, never an attribute. */
const PROVIDER_KEY = '__provider';

/** One property of a Pulumi check failure, as the engine prints it. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** The definition-backed resource type behind a cmek type name. */
export function definedType(type: string): DefinedResource {
  const rt = Object.prototype.hasOwnProperty.call(RESOURCE_TYPES, type)
    ? (RESOURCE_TYPES[type] as DefinedResource)
    : undefined;
  if (!rt?.definition) throw new Error(`cmek/pulumi: no resource type ${type}`);
  return rt;
}

/** ProviderSettings from the `cmek:*` config (defaults as the provider block's: `.cmek`
 * beside the program, the default service principal, the local KMS). */
export function settingsFrom(config: CmekPulumiConfig | undefined): ProviderSettings {
  const cwd = config?.cwd ?? process.cwd();
  const dir = config?.dataDir ?? '.cmek';
  const backend = config?.kmsBackend ?? 'local';
  if (backend !== 'local' && backend !== 'aws') {
    throw failure([
      diag(
        'CONFIG_SCHEMA',
        `Invalid value for cmek:kmsBackend: ${JSON.stringify(backend)}`,
        'Expected `local` (the local KMS in the data directory) or `aws`. Set it with `pulumi config set cmek:kmsBackend local`.',
      ),
    ]);
  }
  return {
    dataDir: isAbsolute(dir) ? dir : resolve(cwd, dir),
    servicePrincipal: config?.servicePrincipal ?? DEFAULT_SERVICE_PRINCIPAL,
    kms:
      backend === 'local'
        ? { backend: 'local' }
        : {
            backend: 'aws',
            ...(config?.kmsRegion ? { region: config.kmsRegion } : {}),
            ...(config?.kmsEndpoint ? { endpoint: config.kmsEndpoint } : {}),
          },
  };
}

// One provider context per settings in this host process: every resource of a deployment
// shares the KMS clients and the control plane (and its key cache), as one engine run does.
const contexts = new Map<string, Promise<ProviderContext>>();

function contextFor(settings: ProviderSettings): Promise<ProviderContext> {
  const k = JSON.stringify(settings);
  let ctx = contexts.get(k);
  if (!ctx) {
    ctx = createProviderContext(settings);
    ctx.catch(() => contexts.delete(k));
    contexts.set(k, ctx);
  }
  return ctx;
}

function unwrap(v: unknown): Value | undefined {
  if (v === undefined) return undefined;
  if (v === PULUMI_UNKNOWN) return new Unknown();
  if (Array.isArray(v)) return v.map((x) => unwrap(x) ?? null);
  if (v !== null && typeof v === 'object') {
    const o = v as Props;
    if (o[SIG_KEY] === SECRET_SIG) return unwrap(o.value);
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(o)) {
      const u = unwrap(x);
      if (u !== undefined) out[k] = u;
    }
    return out;
  }
  return v as Value;
}

/** Pulumi properties → the definition's attributes (`__provider` is not one). Names the
 * definition does not declare are kept (snake_cased), so validation reports them: a typo must
 * not be ignored. */
export function toAttrs(props: Props): Attrs {
  const attrs: Attrs = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === PROVIDER_KEY) continue;
    const u = unwrap(v);
    if (u !== undefined && u !== null) attrs[camelToSnake(k)] = u;
  }
  return attrs;
}

/** Attributes → Pulumi properties (known values only). */
export function toProps(attrs: Attrs): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || isUnknown(v)) continue;
    out[snakeToCamel(k)] = v;
  }
  return out;
}

/** The configuration part of attributes (what a program writes): computed ones dropped. */
function configOf(rt: DefinedResource, attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs))
    if (rt.definition.attributes[k]?.mode !== 'computed') out[k] = v;
  return out;
}

function knownOnly(attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (!isUnknown(v)) out[k] = v;
  return out;
}

/** `CODE: summary` then the detail: what a check failure's reason and an error's message say. */
export function describeDiagnostic(d: Diagnostic): string {
  return `${d.code}: ${d.summary}${d.detail ? `\n${d.detail}` : ''}`;
}

/** An error the host reports by its message: the diagnostics with their codes, no stack. */
function failure(diags: readonly Diagnostic[]): Error {
  const e = new Error(diags.map(describeDiagnostic).join('\n\n'));
  e.stack = e.message;
  return e;
}

function errors(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}

/** Run a CRUD call; a diagnostic error keeps its codes, anything else is APPLY_FAILED. */
async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DiagnosticError) throw failure(e.diagnostics);
    throw failure([
      diag(
        'APPLY_FAILED',
        `${what} failed: ${e instanceof Error ? e.message : String(e)}`,
        'Nothing else was changed by this step. Fix the cause and run `pulumi up` again.',
      ),
    ]);
  }
}

/** The definition's schema on the known values, then the CMEK rules for this one change with
 * what the KMS and the control plane know (src/resources/checks.ts, shared with the terraform
 * plugin). `planned` null = the resource is destroyed. */
async function resourceChecks(
  rt: DefinedResource,
  settings: ProviderSettings,
  config: Attrs | null,
  prior: Attrs | null,
): Promise<Diagnostic[]> {
  const address = pulumiClassName(rt.type);
  if (config) {
    const schema = validateAttributes(rt, config, address, {});
    if (errors(schema).length) return schema;
  }
  const plan = config ? rt.plan({ config, ...(prior ? { prior } : {}) }) : undefined;
  return checkResource(
    {
      type: rt.type,
      address,
      prior,
      planned: plan?.after ?? null,
      requiresReplace: plan?.requiresReplace ?? [],
    },
    liveFacts(() => contextFor(settings), settings.servicePrincipal),
  );
}

async function check(
  type: string,
  config: CmekPulumiConfig | undefined,
  olds: Props,
  news: Props,
): Promise<{ inputs: Props; failures: CheckFailure[] }> {
  const rt = definedType(type);
  const settings = settingsFrom(config);
  const attrs = toAttrs(news);
  // `olds` are the previous inputs (no computed state): an existing resource's change is judged
  // by `diff`, against its state. Here: the schema always, the rules for a new resource.
  const existing = olds !== undefined && Object.keys(olds).length > 0;
  const schema = errors(validateAttributes(rt, attrs, pulumiClassName(rt.type), {}));
  const diags =
    schema.length || existing
      ? schema
      : await resourceChecks(rt, settings, configOf(rt, attrs), null);
  const failures: CheckFailure[] = [];
  for (const d of errors(diags)) {
    failures.push({
      property: d.attribute ? snakeToCamel(d.attribute) : '',
      reason: describeDiagnostic(d),
    });
  }
  return { inputs: news, failures };
}

async function diff(
  type: string,
  config: CmekPulumiConfig | undefined,
  id: string,
  olds: Props,
  news: Props,
): Promise<{
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
  stables: string[];
}> {
  const rt = definedType(type);
  const prior: Attrs = { ...toAttrs(olds), id };
  const cfg = configOf(rt, toAttrs(news));
  const planned = rt.plan({ config: cfg, prior });
  const settings = settingsFrom(config);
  // The rules that judge a change (a cloudsql key change, a key removal, a retrofit) run on
  // the prior state and the planned one, as the engine's plan does; a refusal fails the diff.
  const bad = errors(await resourceChecks(rt, settings, cfg, prior));
  if (bad.length) throw failure(bad);
  const replaces = planned.requiresReplace.map(snakeToCamel);
  const changed = Object.keys(rt.definition.attributes).filter(
    (a) =>
      rt.definition.attributes[a]!.mode !== 'computed' &&
      !valuesEqual(prior[a] ?? null, planned.after[a] ?? null),
  );
  const stables = Object.keys(rt.definition.attributes)
    .filter((a) => !changed.includes(a) && !planned.requiresReplace.includes(a))
    .filter((a) => a !== 'id' && !isUnknown(planned.after[a]))
    .map(snakeToCamel);
  return {
    changes: changed.length > 0 || replaces.length > 0,
    replaces,
    // Like the engine (no create_before_destroy): the old object goes first. Names are unique
    // in the data directory, so a replacement could not be created beside it anyway.
    deleteBeforeReplace: replaces.length > 0,
    stables,
  };
}

/** Validate and plan a configuration in full (every value known now), or fail with codes. */
async function plannedFor(
  rt: DefinedResource,
  settings: ProviderSettings,
  cfg: Attrs,
  prior: Attrs | undefined,
): Promise<Attrs> {
  const bad = errors(await resourceChecks(rt, settings, cfg, prior ?? null));
  if (bad.length) throw failure(bad);
  return knownOnly(rt.plan({ config: cfg, ...(prior ? { prior } : {}) }).after);
}

async function create(
  type: string,
  config: CmekPulumiConfig | undefined,
  inputs: Props,
): Promise<{ id: string; outs: Props }> {
  const rt = definedType(type);
  const settings = settingsFrom(config);
  const planned = await plannedFor(rt, settings, configOf(rt, toAttrs(inputs)), undefined);
  const ctx = await contextFor(settings);
  const out = await guarded(`Creating ${rt.type}`, () => rt.create(planned, ctx));
  return { id: String(out.id), outs: toProps(out) };
}

async function read(
  type: string,
  config: CmekPulumiConfig | undefined,
  id: string,
  props: Props,
): Promise<{ id: string; props: Props }> {
  const rt = definedType(type);
  const ctx = await contextFor(settingsFrom(config));
  const prior: Attrs = { ...toAttrs(props), id };
  const out = await guarded(`Reading ${rt.type} ${id}`, () => rt.read(prior, ctx));
  // Gone (deleted outside Pulumi, or a key pending deletion): an empty id tells the engine.
  if (!out) return { id: '', props: {} };
  return { id: String(out.id ?? id), props: toProps(out) };
}

async function update(
  type: string,
  config: CmekPulumiConfig | undefined,
  id: string,
  olds: Props,
  news: Props,
): Promise<{ outs: Props }> {
  const rt = definedType(type);
  const settings = settingsFrom(config);
  const prior: Attrs = { ...toAttrs(olds), id };
  const planned = await plannedFor(rt, settings, configOf(rt, toAttrs(news)), prior);
  const ctx = await contextFor(settings);
  const out = await guarded(`Updating ${rt.type} ${id}`, () => rt.update(prior, planned, ctx));
  return { outs: toProps(out) };
}

async function destroy(
  type: string,
  config: CmekPulumiConfig | undefined,
  id: string,
  props: Props,
): Promise<void> {
  const rt = definedType(type);
  const settings = settingsFrom(config);
  const prior: Attrs = { ...toAttrs(props), id };
  // As the engine's plan: a key that services or backups still use is not destroyed.
  const bad = errors(await resourceChecks(rt, settings, null, prior));
  if (bad.length) throw failure(bad);
  const ctx = await contextFor(settings);
  await guarded(`Deleting ${rt.type} ${id}`, () => rt.delete(prior, ctx));
}

/** The steps the serialized providers call (one object, so their `import` names one thing). */
export const cmekDynamic = { check, diff, create, read, update, delete: destroy };
