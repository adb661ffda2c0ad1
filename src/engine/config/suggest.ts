// "Did you mean" for CONFIG_REFERENCE diagnostics (the distance itself is in src/model/suggest.ts).

import { closest } from '../../model/suggest.js';

export { closest, editDistance } from '../../model/suggest.js';

/** A sentence for a diagnostic's detail: "Did you mean X?" and/or what exists. */
export function suggestion(name: string, candidates: readonly string[], what: string): string {
  const near = closest(name, candidates);
  const parts: string[] = [];
  if (near) parts.push(`Did you mean "${near}"?`);
  if (candidates.length === 0) parts.push(`No ${what} declared.`);
  else {
    const shown = [...candidates].sort().slice(0, 10);
    const more = candidates.length > shown.length ? `, ... (${candidates.length} in all)` : '';
    parts.push(`Declared ${what}: ${shown.join(', ')}${more}.`);
  }
  return parts.join(' ');
}
