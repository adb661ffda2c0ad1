// Module calls as the loader sees them (docs/configuration.md, "Modules"): a local call's
// directory is loaded as a configuration of its own; a call whose `source` is not a local path
// (the registry, git, http, s3, ...) is reported at its `source` line as needing a download cmek
// does not do offline.

import { readdir } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import type { LoadOptions } from './load.js';
import { isObj, plain } from './shape.js';
import type { Config, Expr, LoadResult, ModuleCall } from './types.js';

/** Terraform's local source prefixes; anything else is fetched by `terraform init`. */
const LOCAL = /^\.\.?[\\/]/;

/** The kind of a remote module source, from terraform's source address forms. */
function remoteKind(source: string): string {
  if (/^git::|\.git($|[/?])|^git@/.test(source)) return 'a git repository';
  if (/^hg::/.test(source)) return 'a Mercurial repository';
  if (/^s3::|\.s3[.-][^/]*amazonaws\.com\//.test(source)) return 'an S3 bucket';
  if (/^gcs::|^https?:\/\/www\.googleapis\.com\/storage/.test(source)) return 'a GCS bucket';
  if (/^(github\.com|bitbucket\.org)\//.test(source)) return 'a GitHub or Bitbucket repository';
  if (/^https?:\/\//.test(source)) return 'an HTTP URL';
  if (
    /^[^/]+\/[^/]+\/[^/]+(\/\/.*)?$/.test(source) ||
    /^[^/]+\.[^/]+\/[^/]+\/[^/]+\/[^/]+/.test(source)
  )
    return 'a module registry';
  return 'a remote location';
}

/** For a module call body whose `source` is remote: [what, remedy] of its CONFIG_UNSUPPORTED
 * diagnostic; undefined for a local source (or none). */
export function remoteModuleSource(body: unknown): [string, string] | undefined {
  if (!isObj(body)) return undefined;
  const source = plain(body.source);
  if (typeof source !== 'string' || LOCAL.test(source)) return undefined;
  return [
    `The module source "${source}" (${remoteKind(source)})`,
    'cmek works offline and does not download modules. Copy the module into this directory and use a local path (source = "./modules/NAME").',
  ];
}

// ---------------------------------------------------------------------------------------------
// Local module calls (MODULES): load each call's directory as a Config of its own, check the
// call's arguments against the module's variables and the caller's `module.NAME.OUTPUT`
// references against its outputs.

/** Load a configuration (loadConfig, passed in to keep the import one-way). */
export type ConfigLoader = (dir: string, opts: LoadOptions) => Promise<LoadResult>;

const posix = (p: string) => p.split(sep).join('/');

/** The module's directory relative to the root module's: `modules/db`, `.` for the root. */
function moduleDirOf(rootDir: string, abs: string): string {
  return posix(relative(rootDir, abs)) || '.';
}

/** The configuration files of a directory, as terraform picks them: `*.tf` and `*.tf.json`,
 * sorted, without hidden files and editor backups (`.x.tf`, `x.tf~`, `#x.tf#`). Throws what
 * readdir throws. Used for the root module and every module it calls. */
export async function configFiles(abs: string): Promise<string[]> {
  const list = await readdir(abs, { withFileTypes: true });
  return list
    .filter(
      (d) =>
        (d.isFile() || d.isSymbolicLink()) &&
        (d.name.endsWith('.tf') || d.name.endsWith('.tf.json')) &&
        !d.name.startsWith('.') &&
        !d.name.endsWith('~') &&
        !(d.name.startsWith('#') && d.name.endsWith('#')),
    )
    .map((d) => d.name)
    .sort();
}

/** Every expression of a module that may read `module.NAME` (for the output check). */
function callerExprs(c: Config): Expr[] {
  const out: Expr[] = [];
  for (const r of c.resources) {
    out.push(...Object.values(r.attributes));
    if (r.count) out.push(r.count);
    if (r.forEach) out.push(r.forEach);
  }
  for (const l of c.locals) out.push(l.value);
  for (const o of c.outputs) out.push(o.value);
  for (const d of c.dataSources ?? []) out.push(...Object.values(d.attributes));
  for (const m of c.modules ?? []) {
    out.push(...Object.values(m.args));
    if (m.count) out.push(m.count);
    if (m.forEach) out.push(m.forEach);
  }
  return out;
}

/** Load the directories of a configuration's module calls (recursively, through `load`),
 * filling each call's `dir` and `config`; returns the diagnostics. A call that cannot be
 * loaded is removed from `config.modules` (its diagnostic says why). */
export async function loadModuleCalls(
  config: Config,
  stack: readonly string[],
  opts: LoadOptions,
  load: ConfigLoader,
): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const rootDir = config.dir;
  const here = stack[stack.length - 1] ?? rootDir;
  const loaded: ModuleCall[] = [];
  for (const call of config.modules ?? []) {
    const at = { ...call.sourcePos, address: `module.${call.name}` };
    const abs = resolve(here, call.source);
    const dir = moduleDirOf(rootDir, abs);
    if (stack.includes(abs)) {
      diags.push(
        diag(
          'CONFIG_MODULE',
          `Module call "${call.name}" loops back to ${dir}`,
          `${dir} is already being loaded by a module call that leads here (${stack.map((s) => moduleDirOf(rootDir, s)).join(' → ')} → ${dir}): a module cannot call itself, directly or through others. Remove the call or point source at another directory.`,
          at,
        ),
      );
      continue;
    }
    let files: string[];
    try {
      files = await configFiles(abs);
    } catch (e) {
      diags.push(
        diag(
          'CONFIG_MODULE',
          `Unreadable module directory "${call.source}"`,
          `The directory ${dir} for module "${call.name}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). A local source is a path relative to the calling module's directory: check source, or create the module there.`,
          at,
        ),
      );
      continue;
    }
    if (!files.length) {
      diags.push(
        diag(
          'CONFIG_MODULE',
          `Module "${call.name}" has no configuration files`,
          `${dir} holds no *.tf or *.tf.json files. Point source at the module's directory.`,
          at,
        ),
      );
      continue;
    }
    const child = await load(rootDir, {
      ...opts,
      files: files.map((f) => (dir === '.' ? f : `${dir}/${f}`)),
      moduleStack: [...stack, abs],
      moduleDir: dir,
    });
    diags.push(...child.diagnostics);
    call.dir = dir;
    call.config = child.config;
    diags.push(...checkCall(call));
    loaded.push(call);
  }
  if (config.modules) config.modules = loaded;
  diags.push(...checkOutputs(config));
  return diags;
}

/** The call's arguments against the module's variables: an argument that names no variable
 * ("Unsupported argument", at the argument) and a variable without default that no argument
 * sets ("Missing required argument", at the call). Root-only blocks in the module. */
function checkCall(call: ModuleCall): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const address = `module.${call.name}`;
  const vars = new Map(call.config.variables.map((v) => [v.name, v]));
  for (const [k, e] of Object.entries(call.args))
    if (!vars.has(k))
      diags.push(
        diag(
          'CONFIG_SCHEMA',
          'Unsupported argument',
          `An argument named "${k}" is not expected here: module "${call.name}" (${call.dir}) declares no variable "${k}". ${[...vars.keys()].length ? `Its variables: ${[...vars.keys()].sort().join(', ')}.` : 'It declares no variables.'}`,
          { ...e.pos, address, attribute: k },
        ),
      );
  for (const v of vars.values())
    if (v.default === undefined && !(v.name in call.args))
      diags.push(
        diag(
          'CONFIG_SCHEMA',
          'Missing required argument',
          `The argument "${v.name}" is required, but no definition was found: module "${call.name}" declares variable "${v.name}" (${v.pos.file}:${v.pos.line}) without a default. Set ${v.name} = ... in the module block.`,
          { file: call.pos.file, line: call.pos.line, address },
        ),
      );
  const c = call.config;
  if (c.provider)
    diags.push(
      diag(
        'CONFIG_UNSUPPORTED',
        'A provider "cmek" block in a child module is not supported',
        'cmek uses the root module\'s provider "cmek" configuration for every module (terraform allows provider blocks in legacy modules only). Move the block into the root module.',
        { file: c.provider.pos.file, line: c.provider.pos.line, address },
      ),
    );
  for (const i of c.imports ?? [])
    diags.push(
      diag(
        'CONFIG_SCHEMA',
        'Invalid import configuration',
        `An import block was detected in "${address}". Import blocks are only allowed in the root module: write import { to = ${address}.${i.to} ... } there.`,
        { file: i.pos.file, line: i.pos.line },
      ),
    );
  return diags;
}

/** `module.NAME.OUTPUT` references whose OUTPUT the module does not declare. */
function checkOutputs(config: Config): Diagnostic[] {
  const calls = new Map((config.modules ?? []).map((m) => [m.name, m]));
  const diags: Diagnostic[] = [];
  for (const e of callerExprs(config))
    for (const r of e.references) {
      if (r.kind !== 'module' || !r.output) continue;
      const call = calls.get(r.name);
      if (!call || call.config.outputs.some((o) => o.name === r.output)) continue;
      diags.push(
        diag(
          'CONFIG_REFERENCE',
          'Unsupported attribute',
          `This object does not have an attribute named "${r.output}": module "${r.name}" (${call.dir}) declares ${call.config.outputs.length ? `the outputs ${call.config.outputs.map((o) => o.name).join(', ')}` : 'no outputs'}.`,
          { ...e.pos, address: `module.${r.name}` },
        ),
      );
    }
  return diags;
}
