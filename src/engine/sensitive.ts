// Where sensitivity marks live outside of evaluation (docs/configuration.md, "Sensitive
// values"): which variables mark their values, which paths of a resource instance are
// sensitive (from the configuration, and from the resource type's declaration), and the
// `sensitive_attributes` list of Terraform's state format that keeps those paths between runs.

import { withModule } from '../model/address.js';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { SensitivePath } from '../model/values.js';
import type { ResourceType } from '../resources/types.js';
import type { Config, OutputBlock } from './config/types.js';
import type { StateInstance } from './state.js';

/** Names of the variables declared `sensitive = true`. */
export function sensitiveVariables(config: Config): Set<string> {
  return new Set(config.variables.filter((v) => v.sensitive).map((v) => v.name));
}

/** The sensitive paths of an instance: those marked by its configuration (or state) and the
 * attributes its type declares `sensitive`, without duplicates or paths inside another. */
export function instanceSensitivePaths(
  rt: Pick<ResourceType, 'sensitive'> | undefined,
  marked: readonly SensitivePath[],
): SensitivePath[] {
  const all = [...(rt?.sensitive ?? []).map((a) => [a]), ...marked];
  const key = (p: SensitivePath) => JSON.stringify(p);
  const out = new Map<string, SensitivePath>();
  for (const p of all) {
    if (all.some((q) => q.length < p.length && q.every((s, i) => String(s) === String(p[i]))))
      continue;
    out.set(key(p), p);
  }
  return [...out.values()];
}

/** A step of a path in Terraform's state format (v4). */
type StateStep =
  | { type: 'get_attr'; value: string }
  | { type: 'index'; value: { value: string | number; type: 'string' | 'number' } };

/** Paths as Terraform writes `sensitive_attributes`: the attribute, then map keys and list
 * indexes. */
export function toStateSensitive(paths: readonly SensitivePath[]): StateStep[][] {
  return paths
    .filter((p) => p.length > 0)
    .map((p) =>
      p.map((s, i): StateStep =>
        i === 0
          ? { type: 'get_attr', value: String(s) }
          : typeof s === 'number'
            ? { type: 'index', value: { value: s, type: 'number' } }
            : { type: 'index', value: { value: s, type: 'string' } },
      ),
    );
}

/** The paths of an instance's `sensitive_attributes`. A step this version cannot read ends
 * the path there, so what it leads to is hidden with all around it (more, never less). */
export function stateSensitivePaths(
  inst: Pick<StateInstance, 'sensitive_attributes'>,
): SensitivePath[] {
  const out: SensitivePath[] = [];
  for (const raw of inst.sensitive_attributes ?? []) {
    if (!Array.isArray(raw) || !raw.length) continue;
    const path: SensitivePath = [];
    for (const step of raw as unknown[]) {
      const s = step as { type?: unknown; value?: unknown };
      if (s?.type === 'get_attr' && typeof s.value === 'string') path.push(s.value);
      else if (s?.type === 'index' && s.value !== null && typeof s.value === 'object') {
        const v = (s.value as { value?: unknown }).value;
        if (typeof v === 'string' || typeof v === 'number') path.push(v);
        else break;
      } else break;
    }
    if (path.length) out.push(path);
  }
  return out;
}

/** `{ [key]: paths }` for an object in state (its `sensitive_attributes` and its type's
 * declaration), or `{}` when nothing in it is sensitive: spread into a change or drift entry. */
export function sensitiveOf<K extends string>(
  key: K,
  rt: Pick<ResourceType, 'sensitive'> | undefined,
  inst: Pick<StateInstance, 'sensitive_attributes'>,
): Partial<Record<K, SensitivePath[]>> {
  const paths = instanceSensitivePaths(rt, stateSensitivePaths(inst));
  return paths.length ? ({ [key]: paths } as Partial<Record<K, SensitivePath[]>>) : {};
}

/** A non-sensitive output whose value uses a sensitive value: Terraform refuses it, so a secret
 * is never shown by accident. */
export function sensitiveOutputError(
  o: Pick<OutputBlock, 'name' | 'pos'>,
  /** The module instance of a child module's output (`module.a`), '' for the root. */
  module = '',
): Diagnostic {
  return diag(
    'CONFIG_SCHEMA',
    'Output refers to sensitive values',
    `Output "${o.name}"${module ? ` of ${module}` : ''} uses a sensitive value (a variable declared sensitive, a sensitive resource attribute or a module output declared sensitive), so cmek would show it. ` +
      'If you do intend to export it, set sensitive = true in the output block: plan, apply and `cmek output` then show it as sensitive, and `cmek output -raw` or `-json` print it on request. ' +
      'Or wrap the value in nonsensitive(...) if it reveals nothing secret.',
    {
      file: o.pos.file,
      line: o.pos.line,
      attribute: withModule(module, `output.${o.name}`),
    },
  );
}
