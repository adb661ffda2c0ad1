// `cmek init`'s work, as a library function: set up the configured state backend, record it
// (./index.ts), and with -migrate-state copy every workspace's state from the backend set up
// before (or the local files) into it. A copy writes the state text unchanged, under both
// workspaces' locks; the source is left as it was, so nothing is lost whatever happens.
// A destination that already holds a different state is not overwritten (unless forceCopy).
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import {
  backendDigest,
  makeBackend,
  readInitRecord,
  writeInitRecord,
  type BackendValues,
  type ConfiguredBackend,
  type InitRecord,
} from './index.js';
import type { BackendType, StateBackend } from './types.js';

export interface InitOptions {
  dir: string;
  configured: ConfiguredBackend;
  /** -backend-config values (they complete or override the block's settings). */
  extra: BackendValues;
  migrateState?: boolean;
  reconfigure?: boolean;
  forceCopy?: boolean;
  lockTimeoutMs?: number;
  version: string;
  env?: Record<string, string | undefined>;
}

export interface InitResult {
  type: BackendType;
  /** True when the backend differs from the one set up before. */
  changed: boolean;
  migrated: string[];
  diagnostics: Diagnostic[];
}

interface Parsed {
  lineage?: string;
  serial?: number;
  resources: number;
}

function summary(text: string | undefined): Parsed | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const s = JSON.parse(text) as { lineage?: string; serial?: number; resources?: unknown[] };
    return {
      ...(typeof s.lineage === 'string' ? { lineage: s.lineage } : {}),
      ...(typeof s.serial === 'number' ? { serial: s.serial } : {}),
      resources: Array.isArray(s.resources) ? s.resources.length : 0,
    };
  } catch {
    return { resources: 1 }; // unreadable: treat as something to keep
  }
}

/** May `src` replace `dst`? Yes when dst is empty, the same text, or an older serial of the
 * same lineage. */
function replaceable(src: Parsed, dst: Parsed | undefined): boolean {
  if (!dst || dst.resources === 0) return true;
  return (
    dst.lineage !== undefined &&
    dst.lineage === src.lineage &&
    (dst.serial ?? 0) <= (src.serial ?? 0)
  );
}

/** The states that the old backend holds (workspace → text). */
async function statesOf(b: StateBackend): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ws of await b.workspaces()) {
    const text = await b.read(ws);
    const s = summary(text);
    if (text !== undefined && s && s.resources > 0) out.set(ws, text);
  }
  return out;
}

export async function initBackend(opts: InitOptions): Promise<InitResult> {
  const env = opts.env ?? process.env;
  const record = readInitRecord(opts.dir);
  const values = { ...opts.configured.settings, ...opts.extra };
  const next = makeBackend(opts.dir, opts.configured.type, values, env);
  // Reach the new backend first (creates the pg schema and table): a wrong conn_str stops here.
  await next.workspaces();
  const digest = backendDigest(opts.configured);
  // Never initialized: the state was in the local files (of the local block, if any).
  const previous: InitRecord = record ?? {
    type: 'local',
    config: opts.configured.type === 'local' ? values : {},
    digest: '',
  };
  const same =
    previous.type === opts.configured.type &&
    JSON.stringify(sorted(previous.config)) === JSON.stringify(sorted(values));
  const migrated: string[] = [];
  if (!same && !opts.reconfigure) {
    const old = makeBackend(opts.dir, previous.type, previous.config, env);
    const states = await statesOf(old);
    if (states.size && !opts.migrateState)
      throw new DiagnosticError(
        diag(
          'BACKEND_INIT_REQUIRED',
          `Backend "${previous.type}" holds state that backend "${opts.configured.type}" does not have`,
          `Workspaces with state in the previous backend: ${[...states.keys()].join(', ')}. ` +
            'Run cmek init -migrate-state to copy them into the new backend, or cmek init ' +
            '-reconfigure to use the new backend without them (they stay where they are).',
        ),
      );
    for (const [ws, text] of states) {
      const dst = await next.read(ws);
      if (dst === text) continue;
      const src = summary(text)!;
      if (!opts.forceCopy && !replaceable(src, summary(dst)))
        throw new DiagnosticError(
          diag(
            'BACKEND_MIGRATE_CONFLICT',
            `Workspace "${ws}" has another state in backend "${opts.configured.type}"`,
            `The state to copy (lineage ${src.lineage ?? '?'}, serial ${src.serial ?? '?'}) and ` +
              `the one already at ${next.describe(ws)} (${describeParsed(summary(dst))}) are not ` +
              'versions of one another, so copying would lose one. Nothing was copied for this ' +
              'workspace. Keep the one you want and remove the other, or pass -force-copy to ' +
              'overwrite the destination.',
          ),
        );
      const lockReq = {
        operation: 'OperationTypeInit (migrate state)',
        timeoutMs: opts.lockTimeoutMs ?? 0,
        version: opts.version,
      };
      const a = await old.lock(ws, lockReq);
      try {
        const b = await next.lock(ws, lockReq);
        try {
          await next.write(ws, (await old.read(ws)) ?? text);
        } finally {
          await b.release();
        }
      } finally {
        await a.release();
      }
      migrated.push(ws);
    }
  }
  writeInitRecord(opts.dir, { type: opts.configured.type, config: values, digest });
  return { type: opts.configured.type, changed: !same, migrated, diagnostics: [] };
}

function describeParsed(p: Parsed | undefined): string {
  if (!p) return 'none';
  return `lineage ${p.lineage ?? '?'}, serial ${p.serial ?? '?'}, ${p.resources} resource(s)`;
}

function sorted(v: BackendValues): BackendValues {
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
}
