// The state file: Terraform's version-4 JSON layout, so tools that read terraform.tfstate read
// ours. Writes are atomic (temp file in the same directory, fsync, rename) and the previous
// state is kept as `<state>.backup`; a state that cannot be parsed is reported as STATE_CORRUPT
// and never overwritten (the user may still want what is in it).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { Attrs } from '../resources/types.js';
import { Unknown, type Value } from '../model/values.js';
import { compareKeys, formatAddress, withModule, type InstanceKey } from '../model/address.js';

export { withModule };
import { writeFileAtomicSync } from '../support/atomic.js';
import { ENGINE_VERSION } from './version.js';

export const PROVIDER_ADDRESS = 'provider["registry.terraform.io/cmek/cmek"]';
export const PROVIDER_NAME = 'registry.terraform.io/cmek/cmek';
export { ENGINE_VERSION };

export interface StateInstance {
  /** Present for resources with `count` (a number) or `for_each` (a string). */
  index_key?: InstanceKey;
  schema_version: number;
  attributes: Attrs;
  sensitive_attributes: unknown[];
  /** Addresses (TYPE.NAME) this instance depended on when it was written: deletes are ordered
   * by these once the configuration no longer says it. */
  dependencies?: string[];
  /** lifecycle.prevent_destroy as it was when written, so removing the block from the
   * configuration does not silently lift the protection. */
  prevent_destroy?: boolean;
  create_before_destroy?: boolean;
  /** Terraform's key for an object that create_before_destroy replaced but has not deleted
   * yet (a crash between the two steps leaves it here; the next plan deletes it). */
  deposed?: string;
  /** Written just before a create call, replaced by the result right after: found in a state
   * means the run died in between (the next plan asks ResourceType.adopt). */
  cmek_pending?: 'create';
  /** Terraform's mark for an object to replace at the next apply (`cmek taint`). */
  status?: 'tainted';
}

export interface StateResource {
  /** The module instance (`module.a["x"]`) of a resource of a child module, as terraform writes
   * it; absent in the root module. */
  module?: string;
  /** `data` for what a data source read (docs/configuration.md, "Data sources"). */
  mode: 'managed' | 'data';
  type: string;
  name: string;
  /** "list" for resources with count, "map" for for_each (Terraform's layout). */
  each?: 'list' | 'map';
  provider: string;
  instances: StateInstance[];
}

export interface StateOutput {
  value: Value;
  type: unknown;
  sensitive?: boolean;
}

export interface StateFile {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, StateOutput>;
  resources: StateResource[];
  check_results: null;
}

export function emptyState(lineage: string = randomUUID()): StateFile {
  return {
    version: STATE_FORMAT_VERSION,
    terraform_version: ENGINE_VERSION,
    serial: 0,
    lineage,
    outputs: {},
    resources: [],
    check_results: null,
  };
}

export interface LoadedState {
  /** null when there is no state file yet. */
  state: StateFile | null;
  diagnostics: Diagnostic[];
}

/** A state that is not a file of its own (a pg backend row): messages say "state", not
 * "file", and point to no `.backup`. */
function isFile(path: string): boolean {
  return !path.startsWith('pg backend ');
}

function corrupt(path: string, why: string): LoadedState {
  return {
    state: null,
    diagnostics: [
      diag(
        'STATE_CORRUPT',
        `State ${isFile(path) ? 'file ' : ''}${path} cannot be read`,
        isFile(path)
          ? `${why}\nThe file was left untouched. Restore it from ${basename(path)}.backup or from ` +
              'version control, or move it away to start from an empty state.'
          : `${why}\nThe state was left untouched. Restore it from a database backup, or write a ` +
              'good state with terraform state push.',
        isFile(path) ? { file: path } : {},
      ),
    ],
  };
}

function tooNew(path: string, summary: string, why: string): LoadedState {
  return {
    state: null,
    diagnostics: [
      diag(
        'STATE_TOO_NEW',
        summary,
        `${why}\nThe file was left untouched: reading it could drop what the newer version ` +
          `recorded. Upgrade cmek (this is v${ENGINE_VERSION}) to use this state.`,
        { file: path },
      ),
    ],
  };
}

/** The state format version cmek reads and writes (Terraform's since 0.12). */
export const STATE_FORMAT_VERSION = 4;
/** The schema version of every resource type's attributes in the state: all types are at 0.
 * A type whose attribute layout changes gets a higher number and an upgrade from the older
 * ones; an instance recorded with a higher number than this was written by a newer cmek. */
export const RESOURCE_SCHEMA_VERSION = 0;

/** At most `max` characters of `text`, escaped so that control and binary bytes show as
 * escapes (a garbage file must not write its raw bytes to the terminal). */
export function escapedPrefix(text: string, max = 24): string {
  const head = JSON.stringify(text.slice(0, max)).slice(1, -1);
  return `"${head}"${text.length > max ? '…' : ''}`;
}

/** Compare dotted versions numerically (`0.10.0` > `0.9.1`); pre-release suffixes are ignored.
 * Undefined when either is not a version. */
export function compareVersions(a: string, b: string): number | undefined {
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number);
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Read and check a state file. Missing file → `state: null` with no diagnostics. */
export function loadState(path: string): LoadedState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: null, diagnostics: [] };
    throw e;
  }
  return parseState(text, path);
}

/** Check the text of a state (`where` names it in messages: a file, or a backend's
 * description). No text → `state: null`. */
export function parseState(text: string | undefined, where: string): LoadedState {
  const path = where;
  if (text === undefined) return { state: null, diagnostics: [] };
  if (text.trim() === '')
    return isFile(path) ? corrupt(path, 'The file is empty.') : { state: null, diagnostics: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // Not the parser's message: it quotes the input, which may be anything.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    return corrupt(
      path,
      `It is not valid JSON${at ? ` (at byte ${at})` : ''}; it starts with ${escapedPrefix(text)}.`,
    );
  }
  const newer = newerWriter(path, raw);
  if (newer) return newer;
  const problem = checkStateShape(raw);
  if (problem) return corrupt(path, problem);
  return { state: raw as StateFile, diagnostics: [] };
}

/** `terraform_version` names the writer: cmek's own version (0.x today) or terraform's. A
 * state written by terraform 1.x (the same format 4, the same layout: the pg backend's rows,
 * `terraform state push`) is read; a newer cmek, or a terraform 2 or later, is refused. Once
 * cmek itself reaches 1.0 the two can no longer be told apart by the number alone. */
function writtenByTerraform1(version: string): boolean {
  const major = /^v?(\d+)\./.exec(version)?.[1];
  const ours = /^(\d+)\./.exec(ENGINE_VERSION)?.[1];
  return major === '1' && ours === '0';
}

/** A state written by a newer cmek or terraform: a newer format, a newer terraform_version, or
 * an instance with a newer schema_version. Refused as terraform refuses them (docs/state.md). */
function newerWriter(path: string, raw: unknown): LoadedState | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const s = raw as Record<string, unknown>;
  if (typeof s.version === 'number' && s.version > STATE_FORMAT_VERSION) {
    return tooNew(
      path,
      `State file ${path} uses state format version ${s.version}`,
      'It was written by a newer version of cmek or terraform; this cmek reads format ' +
        `version ${STATE_FORMAT_VERSION}.`,
    );
  }
  if (typeof s.terraform_version === 'string') {
    const cmp = compareVersions(s.terraform_version, ENGINE_VERSION);
    if (cmp !== undefined && cmp > 0 && !writtenByTerraform1(s.terraform_version)) {
      const v = s.terraform_version.replace(/^v/, '');
      return tooNew(
        path,
        `State snapshot was created by v${v}, which is newer than current v${ENGINE_VERSION}`,
        `Its terraform_version (${v}) is the version of cmek or terraform that wrote it last.`,
      );
    }
  }
  for (const r of Array.isArray(s.resources) ? (s.resources as unknown[]) : []) {
    const res = r as { type?: unknown; name?: unknown; instances?: unknown } | null;
    const instances = Array.isArray(res?.instances) ? (res.instances as unknown[]) : [];
    for (const i of instances) {
      const v = (i as { schema_version?: unknown } | null)?.schema_version;
      if (typeof v === 'number' && v > RESOURCE_SCHEMA_VERSION) {
        const addr = `${String(res?.type)}.${String(res?.name)}`;
        return tooNew(
          path,
          `Resource ${addr} in ${path} has schema version ${v}`,
          `It was written by a newer cmek; this one knows schema version ` +
            `${RESOURCE_SCHEMA_VERSION} of ${String(res?.type)}.`,
        );
      }
    }
  }
  return undefined;
}

function checkStateShape(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'It is not an object.';
  const s = raw as Record<string, unknown>;
  if (s.version !== STATE_FORMAT_VERSION)
    return (
      `Its "version" is ${JSON.stringify(s.version)}: this cmek reads state format version ` +
      `${STATE_FORMAT_VERSION} (a state of an older format: let terraform 0.12 or newer upgrade it).`
    );
  if (typeof s.serial !== 'number') return 'Field "serial" is missing or not a number.';
  if (typeof s.lineage !== 'string' || !s.lineage) return 'Field "lineage" is missing.';
  if (!Array.isArray(s.resources)) return 'Field "resources" is missing or not a list.';
  for (const r of s.resources as unknown[]) {
    if (r === null || typeof r !== 'object') return 'A resource entry is not an object.';
    const res = r as Record<string, unknown>;
    if (typeof res.type !== 'string' || typeof res.name !== 'string')
      return 'A resource entry has no type or name.';
    if (!Array.isArray(res.instances)) return `Resource ${res.type}.${res.name} has no instances.`;
    for (const i of res.instances as unknown[]) {
      if (
        i === null ||
        typeof i !== 'object' ||
        typeof (i as { attributes?: unknown }).attributes !== 'object'
      )
        return `An instance of ${res.type}.${res.name} has no attributes.`;
    }
  }
  if (s.outputs !== undefined && (typeof s.outputs !== 'object' || s.outputs === null))
    return 'Field "outputs" is not an object.';
  return undefined;
}

/** Write a file atomically (temp file in the same directory, fsync, rename): the one helper of
 * src/support/atomic.ts. */
export const writeFileAtomic = writeFileAtomicSync;

export function serializeState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/** One instance of the state with its address. */
export interface InstanceEntry {
  /** The full address: `module.a["x"].TYPE.NAME[KEY]`. */
  address: string;
  /** The block's full address (the key dropped). */
  block: string;
  /** The module instance of a child module's resource; absent in the root module. */
  module?: string;
  type: string;
  name: string;
  index?: InstanceKey;
  /** Set for a deposed object (see StateInstance.deposed). */
  deposed?: string;
  instance: StateInstance;
}

/** An instance's key as recorded (a number with count, a string with for_each); anything
 * else in the file counts as no key. */
export function keyOf(inst: StateInstance): InstanceKey | undefined {
  const k = inst.index_key;
  return typeof k === 'number' || typeof k === 'string' ? k : undefined;
}

/** Unique key of an entry: the address, plus ` (deposed KEY)` for a deposed object. */
export function entryKey(e: { address: string; deposed?: string }): string {
  return e.deposed ? `${e.address} (deposed ${e.deposed})` : e.address;
}

export function stateInstances(state: StateFile | null): InstanceEntry[] {
  if (!state) return [];
  const out: InstanceEntry[] = [];
  for (const r of state.resources) {
    if (r.mode !== undefined && r.mode !== 'managed') continue;
    for (const inst of r.instances) {
      const index = keyOf(inst);
      out.push({
        address: withModule(r.module, formatAddress(r.type, r.name, index)),
        block: withModule(r.module, `${r.type}.${r.name}`),
        ...(r.module ? { module: r.module } : {}),
        type: r.type,
        name: r.name,
        ...(index !== undefined ? { index } : {}),
        ...(inst.deposed ? { deposed: inst.deposed } : {}),
        instance: inst,
      });
    }
  }
  return out;
}

/** Put (or with `instance: null` remove) one instance, keeping resources sorted like
 * Terraform (by type, then name) and instances by index. Mutates `state`. */
export function setInstance(
  state: StateFile,
  type: string,
  name: string,
  index: InstanceKey | undefined,
  instance: StateInstance | null,
  module?: string,
): void {
  let res = findResource(state, module, type, name);
  if (!res) {
    if (!instance) return;
    res = newResource(state, module, type, name);
  }
  const at = res.instances.findIndex((i) => (i.index_key ?? undefined) === index && !i.deposed);
  if (instance) {
    const inst: StateInstance = { index_key: index, ...instance };
    if (index === undefined) delete inst.index_key;
    else inst.index_key = index;
    if (at >= 0) res.instances[at] = inst;
    else res.instances.push(inst);
    res.instances.sort((a, b) => compareKeys(a.index_key, b.index_key));
  } else if (at >= 0) {
    res.instances.splice(at, 1);
  }
  fixEach(state, res);
}

/** Add a deposed object (the old one of a create_before_destroy replacement). */
export function addDeposed(
  state: StateFile,
  type: string,
  name: string,
  index: InstanceKey | undefined,
  instance: StateInstance,
  key: string,
  module?: string,
): void {
  const res = findResource(state, module, type, name) ?? newResource(state, module, type, name);
  const inst: StateInstance = { ...instance, deposed: key };
  if (index !== undefined) inst.index_key = index;
  else delete inst.index_key;
  res.instances.push(inst);
}

/** Remove a deposed object. */
export function removeDeposed(
  state: StateFile,
  type: string,
  name: string,
  key: string,
  module?: string,
): void {
  const res = findResource(state, module, type, name);
  if (!res) return;
  res.instances = res.instances.filter((i) => i.deposed !== key);
  fixEach(state, res);
}

/** The managed resource TYPE.NAME of a module instance ('' or undefined: the root module). */
function findResource(
  state: StateFile,
  module: string | undefined,
  type: string,
  name: string,
): StateResource | undefined {
  const m = module ?? '';
  return state.resources.find(
    (r) => isManaged(r) && r.type === type && r.name === name && (r.module ?? '') === m,
  );
}

/** A new managed resource entry, in terraform's order (module, then type, then name). */
function newResource(
  state: StateFile,
  module: string | undefined,
  type: string,
  name: string,
): StateResource {
  const res: StateResource = {
    ...(module ? { module } : {}),
    mode: 'managed',
    type,
    name,
    provider: PROVIDER_ADDRESS,
    instances: [],
  };
  state.resources.push(res);
  sortResources(state);
  return res;
}

/** terraform's order of state resources: by module (the root first), data resources before
 * managed ones of the same module, then by type and name. */
export function sortResources(state: StateFile): void {
  const rank = (r: StateResource) => (r.mode === 'data' ? 0 : 1);
  state.resources.sort(
    (a, b) =>
      cmp(a.module ?? '', b.module ?? '') ||
      rank(a) - rank(b) ||
      (a.type === b.type ? cmp(a.name, b.name) : cmp(a.type, b.type)),
  );
}

/** A managed resource (not what a data source read). */
export function isManaged(r: StateResource): boolean {
  return r.mode === undefined || r.mode === 'managed';
}

/** Record (or with no instances, forget) what the data source `data.TYPE.NAME` read, as
 * terraform keeps it in state (`"mode": "data"`; with count / for_each one instance per key with
 * its `index_key`, in key order, and `each` on the resource). Mutates `state`. */
export function setDataInstances(
  state: StateFile,
  type: string,
  name: string,
  instances: ReadonlyArray<{ index?: InstanceKey; attributes: Attrs }>,
  module?: string,
): void {
  const at = state.resources.findIndex(
    (r) =>
      r.mode === 'data' &&
      r.type === type &&
      r.name === name &&
      (r.module ?? '') === (module ?? ''),
  );
  if (!instances.length) {
    if (at >= 0) state.resources.splice(at, 1);
    return;
  }
  const res: StateResource = {
    ...(module ? { module } : {}),
    mode: 'data',
    type,
    name,
    provider: PROVIDER_ADDRESS,
    instances: [...instances]
      .sort((a, b) => compareKeys(a.index, b.index))
      .map((i) => ({
        ...(i.index !== undefined ? { index_key: i.index } : {}),
        schema_version: 0,
        attributes: i.attributes,
        sensitive_attributes: [],
      })),
  };
  if (typeof instances[0]!.index === 'string') res.each = 'map';
  else if (typeof instances[0]!.index === 'number') res.each = 'list';
  if (at >= 0) state.resources[at] = res;
  else state.resources.push(res);
  sortResources(state);
}

function fixEach(state: StateFile, res: StateResource): void {
  if (res.instances.some((i) => typeof i.index_key === 'string')) res.each = 'map';
  else if (res.instances.some((i) => typeof i.index_key === 'number')) res.each = 'list';
  else delete res.each;
  if (res.instances.length === 0) state.resources.splice(state.resources.indexOf(res), 1);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The instances at one address: the current object and any deposed ones. Looks only at the
 * resource's own instances (apply calls this once per operation; scanning the whole state each
 * time would be quadratic). */
export function instancesAt(
  state: StateFile,
  type: string,
  name: string,
  index: InstanceKey | undefined,
  module?: string,
): InstanceEntry[] {
  const r = findResource(state, module, type, name);
  if (!r) return [];
  return r.instances
    .filter((i) => keyOf(i) === index)
    .map((inst) => ({
      address: withModule(module, formatAddress(type, name, index)),
      block: withModule(module, `${type}.${name}`),
      ...(module ? { module } : {}),
      type,
      name,
      ...(index !== undefined ? { index } : {}),
      ...(inst.deposed ? { deposed: inst.deposed } : {}),
      instance: inst,
    }));
}

/** Find an instance by address (`TYPE.NAME` or `TYPE.NAME[i]`). */
export function findInstance(state: StateFile | null, address: string): InstanceEntry | undefined {
  return stateInstances(state).find((e) => e.address === address);
}

/** Terraform's type description of an output value (`"string"`, `["object", {...}]`, ...). */
export function typeOfValue(v: Value): unknown {
  if (v === null) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(typeOfValue)];
  if (v instanceof Unknown) return 'dynamic';
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, Value>)) o[k] = typeOfValue(x);
    return ['object', o];
  }
  return 'dynamic';
}

/**
 * Holds the state during an apply and persists it after every change. Writes are serialized
 * (parallel resources finish in any order; each write carries everything finished so far), the
 * serial goes up by one per write, and the state as it was before the run is kept as
 * `<path>.backup` the first time this run writes.
 */
export class StateWriter {
  /** Where the state goes, for messages (the file, or the backend's description). */
  readonly path: string;
  state: StateFile;
  private backupDone = false;
  private readonly priorText: string | undefined;
  private readonly sink: StateSink;
  private chain: Promise<void> = Promise.resolve();

  /** `target`: a state file path, or a backend's sink for one workspace. */
  constructor(target: string | StateSink, state: StateFile, priorText?: string) {
    this.sink = typeof target === 'string' ? fileSink(target) : target;
    this.path = this.sink.where;
    this.state = state;
    this.priorText = priorText;
  }

  private queued: Promise<void> | undefined;

  /** Persist the current state (serialized with other writes). The state is serialized when
   * the write runs, so calls made while a write is waiting share it: with parallel operations a
   * burst of completions costs one write that records them all, and every caller still returns
   * only once its change is on disk. */
  persist(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.chain.then(async () => {
      this.queued = undefined;
      if (!this.backupDone) {
        if (this.priorText !== undefined) await this.sink.backup(this.priorText);
        this.backupDone = true;
      }
      this.state.serial += 1;
      await this.sink.write(serializeState(this.state));
    });
    this.queued = run;
    // A failed write must not block later ones forever, but the caller still sees the error.
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Where a StateWriter puts the state: a file, or one workspace of a state backend. */
export interface StateSink {
  /** For messages. */
  where: string;
  /** Replace the state, all or nothing. */
  write(text: string): Promise<void>;
  /** Keep the state as it was before the run (the local backend's `<state>.backup`). */
  backup(prior: string): Promise<void>;
}

/** The state file at `path` (atomic writes, `<path>.backup`). */
export function fileSink(path: string): StateSink {
  return {
    where: path,
    write: async (text) => {
      await ensureDir(path);
      writeFileAtomic(path, text);
    },
    backup: async (prior) => {
      await ensureDir(path);
      writeFileAtomic(`${path}.backup`, prior);
    },
  };
}
