// Saved plans (`plan -out=FILE`): the Plan value as versioned JSON. Unknown values are written as
// null with their places listed in `afterUnknown` (Terraform's convention) and rebuilt on read.
// Nothing secret is in a plan: resources never put key material into attributes, and a test
// scans saved plans to keep it that way.

import { readFileSync } from 'node:fs';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { rehydrate } from './apply.js';
import { PLAN_FORMAT_VERSION, type Plan } from './plan.js';
import { writeFileAtomic } from './state.js';
import { Unknown, type Value } from '../model/values.js';
import type { Attrs } from '../resources/types.js';

export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

export function writePlanFile(path: string, plan: Plan): void {
  writeFileAtomic(path, serializePlan(plan));
}

/** Parse a saved plan; throws DiagnosticError(USAGE) when it is not one of ours. */
export function parsePlan(text: string, path = 'plan'): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        `${path} is not a saved plan`,
        `It is not JSON: ${(e as Error).message}. Create one with: cmek plan -out=${path}`,
      ),
    );
  }
  const p = raw as Partial<Plan> | null;
  if (!p || typeof p !== 'object' || p.cmek_plan_format === undefined) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        `${path} is not a saved plan`,
        `A plan file is written by: cmek plan -out=${path}`,
      ),
    );
  }
  if (p.cmek_plan_format !== PLAN_FORMAT_VERSION) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        `${path} was written by another plan format (${String(p.cmek_plan_format)})`,
        `This cmek reads plan format ${PLAN_FORMAT_VERSION}. Plan again with this version.`,
      ),
    );
  }
  const plan = p as Plan;
  for (const c of plan.changes) {
    if (c.after) c.after = rehydrate(c.after, c.afterUnknown) as Attrs;
    // Plans written before movedFrom covered count moves said `movedFromIndex` (null: none).
    const legacy = (c as { movedFromIndex?: number | null }).movedFromIndex;
    if (legacy !== undefined && c.movedFrom === undefined)
      c.movedFrom = legacy === null ? c.block : `${c.block}[${legacy}]`;
    delete (c as { movedFromIndex?: unknown }).movedFromIndex;
  }
  for (const o of Object.values(plan.outputChanges)) {
    if (o.afterUnknown) o.after = new Unknown() as unknown as Value;
  }
  return plan;
}

export function readPlanFile(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DiagnosticError(diag('USAGE', `Cannot read plan file ${path}`, (e as Error).message));
  }
  return parsePlan(text, path);
}
