// The one entry to @cdktf/hcl2json. Imported lazily: the package instantiates its Go/WASM
// parser on first use (about 0.5 s of CPU on the development machine, more than the rest of a
// `cmek plan`), which CLI verbs that never read HCL (kms, data, service) and JSON-only
// configurations should not pay.
//
// Parse cache (docs/architecture.md, "Start-up"): the JSON form of each `.tf` file that parsed
// is kept under `$XDG_CACHE_HOME/cmek/hcl/` (`~/.cache/cmek/hcl/`; CMEK_HCL_CACHE=DIR elsewhere,
// CMEK_HCL_CACHE=off disables it), named by a SHA-256 of the parser version, the file's path and
// its text, so an unchanged configuration is planned without starting the parser. Only `.tf`
// files are cached (a `.tfvars` file may hold secret values); files with errors never are.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { tempPathFor } from '../../support/atomic.js';

type Hcl2Json = typeof import('@cdktf/hcl2json');

let loading: Promise<Hcl2Json> | undefined;

/** Bumped when the cached form or the parser changes meaning. */
const CACHE_FORMAT = 'hcl2json@0.21/1';
/** Entries kept; beyond this the oldest quarter is removed when one is added. */
const CACHE_ENTRIES = 256;

/** The parse cache directory, or undefined when disabled. */
export function hclCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.CMEK_HCL_CACHE;
  if (set !== undefined && /^(0|off|false)$/i.test(set)) return undefined;
  if (set && isAbsolute(set)) return set;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'cmek', 'hcl');
}

function cachePath(dir: string, file: string, text: string): string {
  const h = createHash('sha256').update(`${CACHE_FORMAT}\0${file}\0`).update(text);
  return join(dir, `${h.digest('hex')}.json`);
}

async function cached(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return doc && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // missing, unreadable or torn: parse again
  }
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= CACHE_ENTRIES) return;
  const aged = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs })),
  );
  aged.sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
  const drop = aged.slice(0, names.length - Math.floor((CACHE_ENTRIES * 3) / 4));
  await Promise.all(drop.map(({ n }) => rm(join(dir, n), { force: true })));
}

/** Best effort: a cache that cannot be written only costs the next run a parse. */
async function store(dir: string, path: string, doc: Record<string, unknown>): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = tempPathFor(path);
    await writeFile(tmp, JSON.stringify(doc), { mode: 0o600, flag: 'wx' });
    await rename(tmp, path).catch(async (e: unknown) => {
      await rm(tmp, { force: true });
      throw e;
    });
    await prune(dir);
  } catch {
    // read-only home, full disk, a concurrent prune: parse again next time
  }
}

/** Parse one HCL file to hcl2json's JSON form; throws hcl2json's error (see scan.ts). A `.tf`
 * file parsed before with the same path and text comes from the parse cache. */
export async function parseHclText(file: string, text: string): Promise<Record<string, unknown>> {
  const dir = file.endsWith('.tf') ? hclCacheDir() : undefined;
  const path = dir === undefined ? undefined : cachePath(dir, file, text);
  if (path !== undefined) {
    const hit = await cached(path);
    if (hit) return hit;
  }
  loading ??= import('@cdktf/hcl2json');
  const { parse } = await loading;
  const doc = (await parse(file, text)) as Record<string, unknown>;
  if (dir !== undefined && path !== undefined) await store(dir, path, doc);
  return doc;
}
