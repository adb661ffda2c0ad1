// Reading the inputs of `cmek policy check`: each PATH is a Terraform plan or state in JSON
// (`terraform show -json`, `cmek plan -json`), a cdktf `cdk.tf.json`, a cdktf output directory
// or its `manifest.json` (every stack), or a directory / .tf file of configuration. Several .tf
// files of one directory named together are loaded as one configuration. An input that cannot
// be used throws a POLICY_INPUT diagnostic naming the file and why.

import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { addressLines, isPlanOrState, planResources } from './plan-json.js';
import { tagSkips } from './suppress.js';
import type { PolicyInput, PolicyResource } from './types.js';

function inputError(path: string, why: string, remedy: string): DiagnosticError {
  return new DiagnosticError(
    diag('POLICY_INPUT', `Cannot check ${path}: ${why}`, remedy, { file: path }),
  );
}

const REMEDY =
  'Pass `terraform show -json PLANFILE > plan.json` (not the binary plan), `terraform show ' +
  '-json` of a state, a cdk.tf.json, a cdktf.out directory or manifest.json, or a directory of .tf files.';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : `it cannot be read (${code ?? (e as Error).message})`;
    throw inputError(path, why, 'Check the path and its permissions.');
  }
}

function withTagSkips(resources: PolicyResource[]): PolicyResource[] {
  for (const r of resources) {
    const skips = [...(r.skips ?? []), ...tagSkips(r.after ?? r.before)];
    if (skips.length) r.skips = skips;
  }
  return resources;
}

async function fromHcl(path: string, dir: string, files?: string[]): Promise<PolicyInput> {
  // The configuration loader (HCL parser) is loaded only for configuration inputs.
  const { hclResources } = await import('./hcl.js');
  const h = await hclResources(dir, files);
  if (h.errors.length) {
    const e = h.errors[0]!;
    throw inputError(
      path,
      `${e.file !== undefined ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : ''}${e.summary}`,
      e.detail,
    );
  }
  return { path, kind: 'hcl', resources: withTagSkips(h.resources), notes: h.notes };
}

/** A cdktf manifest: every stack's synthesized cdk.tf.json. */
async function fromManifest(path: string, doc: Record<string, unknown>): Promise<PolicyInput[]> {
  const stacks = doc.stacks;
  if (typeof stacks !== 'object' || stacks === null)
    throw inputError(path, 'manifest.json has no "stacks"', REMEDY);
  const out: PolicyInput[] = [];
  for (const s of Object.values(stacks as Record<string, unknown>)) {
    const p = (s as { synthesizedStackPath?: unknown }).synthesizedStackPath;
    if (typeof p !== 'string') continue;
    const file = resolve(dirname(path), p);
    const i = await fromHcl(file, dirname(file), [basename(file)]);
    out.push({ ...i, kind: 'cdktf' });
  }
  return out;
}

/** Read one PATH (or a group of .tf files of one directory). */
export async function readInput(path: string): Promise<PolicyInput[]> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw inputError(
      path,
      e.code === 'ENOENT' ? 'it does not exist' : `it cannot be used (${e.code ?? e.message})`,
      'Check the path.',
    );
  });
  if (st.isDirectory()) {
    const manifest = join(path, 'manifest.json');
    if (await stat(manifest).catch(() => undefined)) return readInput(manifest);
    const nested = join(path, 'cdktf.out', 'manifest.json');
    if (await stat(nested).catch(() => undefined)) return readInput(nested);
    return [await fromHcl(path, path)];
  }
  if (/\.tf$/.test(path)) return [await fromHcl(path, dirname(path), [basename(path)])];
  const text = await readText(path);
  if (text.startsWith('tfplan') || text.startsWith('PK\u0003\u0004'))
    throw inputError(path, 'it is a binary plan file, not JSON', REMEDY);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw inputError(path, `it is not valid JSON (${(e as Error).message})`, REMEDY);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw inputError(path, 'it is JSON but not an object', REMEDY);
  const obj = doc as Record<string, unknown>;
  const kind = isPlanOrState(obj);
  if (kind) {
    return [
      {
        path,
        kind,
        resources: withTagSkips(planResources(obj)),
        notes: [],
        lineOf: addressLines(text),
        file: path,
      },
    ];
  }
  if (typeof obj.stacks === 'object' && basename(path) === 'manifest.json')
    return fromManifest(path, obj);
  if (
    typeof obj.resource === 'object' ||
    typeof obj.terraform === 'object' ||
    path.endsWith('.tf.json')
  ) {
    const i = await fromHcl(path, dirname(path), [basename(path)]);
    return [{ ...i, kind: 'cdktf' }];
  }
  throw inputError(
    path,
    'it is JSON but neither a plan, a state, a cdktf output nor a configuration',
    REMEDY,
  );
}

/** Read every PATH; .tf files of one directory given together form one configuration. */
export async function readInputs(paths: readonly string[]): Promise<PolicyInput[]> {
  const out: PolicyInput[] = [];
  const tfGroups = new Map<string, string[]>();
  const order: Array<string | { dir: string }> = [];
  for (const p of paths) {
    if (/\.tf$/.test(p) && (await stat(p).catch(() => undefined))?.isFile()) {
      const dir = dirname(p);
      if (!tfGroups.has(dir)) {
        tfGroups.set(dir, []);
        order.push({ dir });
      }
      tfGroups.get(dir)!.push(basename(p));
    } else order.push(p);
  }
  for (const o of order) {
    if (typeof o === 'string') out.push(...(await readInput(o)));
    else {
      const files = tfGroups.get(o.dir)!;
      const label = files.length === 1 ? join(o.dir, files[0]!) : `${o.dir}/{${files.join(',')}}`;
      out.push(await fromHcl(label, o.dir, files));
    }
  }
  return out;
}

export type { Diagnostic };
