// Validating evaluated attributes against a resource type's zod schema. Values known only after
// apply (Unknown) cannot be checked yet, so they are left out and any issue that points at (or
// under) an unknown location is dropped: "unknown values pass, known parts are checked".
// Attribute names the schema does not declare are reported too (zod objects strip them
// silently, and a typo must not be ignored).

import type { z } from 'zod';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import type { Attrs, ResourceType } from '../resources/types.js';
import type { SourcePos } from './config/types.js';
import { Unknown, type Value } from '../model/values.js';

type Path = Array<string | number>;

/** Replace Unknown with undefined (dropping object members), remembering where they were. */
function stripUnknown(v: Value, path: Path, unknownAt: Path[]): unknown {
  if (v instanceof Unknown) {
    unknownAt.push(path);
    return undefined;
  }
  if (Array.isArray(v)) return v.map((x, i) => stripUnknown(x, [...path, i], unknownAt));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = stripUnknown(x, [...path, k], unknownAt);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return v;
}

function startsWith(path: readonly PropertyKey[], prefix: Path): boolean {
  return prefix.every((p, i) => String(path[i]) === String(p));
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (the attribute is not set)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The declared attribute names of an object schema, when the schema exposes them. */
export function schemaKeys(schema: z.ZodType): Set<string> | undefined {
  const s = schema as unknown as {
    shape?: Record<string, unknown>;
    _zod?: { def?: { shape?: Record<string, unknown>; in?: z.ZodType } };
  };
  const shape = s.shape ?? s._zod?.def?.shape;
  if (shape && typeof shape === 'object') return new Set(Object.keys(shape));
  const inner = s._zod?.def?.in;
  return inner ? schemaKeys(inner) : undefined;
}

/** Validate evaluated attributes; returns CONFIG_SCHEMA diagnostics naming attribute, expectation,
 * what was found and where. */
export function validateAttributes(
  rt: ResourceType,
  attrs: Attrs,
  address: string,
  attrPos: Record<string, SourcePos>,
  /** Absent when the caller has no source positions (the terraform plugin: terraform adds them
   * from the attribute path). */
  blockPos?: SourcePos,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (attr: string | undefined) => {
    const pos = (attr && attrPos[attr]) || blockPos;
    return {
      address,
      ...(pos ? { file: pos.file, line: pos.line } : {}),
      ...(attr ? { attribute: attr } : {}),
    };
  };
  const keys = schemaKeys(rt.schema);
  for (const k of Object.keys(attrs)) {
    if (rt.computed.includes(k) && !(keys?.has(k) ?? false)) {
      out.push(
        diag(
          'CONFIG_SCHEMA',
          `Value for unconfigurable attribute "${k}"`,
          `"${k}" of ${rt.type} is computed: its value is decided when the resource is created. ` +
            `Remove it from the block.`,
          at(k),
        ),
      );
    } else if (keys && !keys.has(k)) {
      const known = [...keys].sort().join(', ');
      out.push(
        diag(
          'CONFIG_SCHEMA',
          `Unsupported argument "${k}"`,
          `${rt.type} has no argument "${k}". Expected one of: ${known}.`,
          at(k),
        ),
      );
    }
  }
  const unknownAt: Path[] = [];
  const known = stripUnknown(attrs, [], unknownAt) as Record<string, unknown>;
  for (const k of Object.keys(known))
    if (rt.computed.includes(k) && !(keys?.has(k) ?? false)) delete known[k];
  const res = rt.schema.safeParse(known);
  if (res.success) return out;
  for (const issue of res.error.issues) {
    const path = issue.path;
    if (unknownAt.some((u) => startsWith(path, u))) continue;
    // A refinement may read several attributes (rotation_period_in_days needs
    // enable_key_rotation): with unknowns about, it cannot be decided yet. Apply validates
    // again with every value known, before the call.
    if (issue.code === 'custom' && unknownAt.length) continue;
    // A required attribute whose value is unknown is present, just not known yet.
    if (
      issue.code === 'invalid_type' &&
      valueAt(known, path) === undefined &&
      unknownAt.some((u) => startsWith(u, path as Path))
    )
      continue;
    if (issue.code === 'unrecognized_keys') {
      // Already reported above with a better message when the shape is known.
      if (keys) continue;
    }
    const attr = path.length ? String(path[0]) : undefined;
    const dotted = path.map(String).join('.');
    const found = valueAt(known, path);
    if (
      issue.code === 'invalid_type' &&
      path.length === 1 &&
      attr !== undefined &&
      found === undefined &&
      !(attr in attrs)
    ) {
      // Terraform's wording. The block is where the argument should go (it has no line of its own).
      out.push(
        diag(
          'CONFIG_SCHEMA',
          'Missing required argument',
          `The argument "${attr}" is required, but no definition was found.\n` +
            `Add ${attr} = ... to the ${rt.type} block (see docs for ${rt.type}).`,
          at(attr),
        ),
      );
      continue;
    }
    out.push(
      diag(
        'CONFIG_SCHEMA',
        dotted ? `Invalid value for "${dotted}"` : `Invalid ${rt.type} block`,
        `Expected: ${issue.message.replace(/^Invalid input: /, '')}.\nFound: ${show(found)}.\n` +
          `Fix the value in the configuration (see docs for ${rt.type}).`,
        at(attr),
      ),
    );
  }
  return out;
}
