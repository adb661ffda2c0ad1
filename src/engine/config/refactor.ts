// The loader's reading of `moved` and `removed` blocks (docs/configuration.md, "moved and
// removed blocks"): their addresses are checked here, where they are written; what they do to
// the state is the planner's (src/engine/refactor.ts).

import { parseModuleAddress, parseResourceAddress } from '../../model/address.js';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { bareTraversal, entries, objs, plain, type Obj } from './shape.js';
import type { MovedBlock, RemovedBlock, SourcePos } from './types.js';

export interface RefactorRead {
  moved?: MovedBlock;
  removed?: RemovedBlock;
  diagnostics: Diagnostic[];
}

/** Read one `moved` or `removed` block body. `posOf` locates an attribute path in the block. */
export function readRefactorBlock(
  kind: 'moved' | 'removed',
  body: Obj,
  pos: SourcePos,
  posOf: (path: string[]) => SourcePos,
): RefactorRead {
  const diagnostics: Diagnostic[] = [];
  const at = (p: string[]) => ({ ...posOf(p), line: posOf(p).line || pos.line });
  const addrs: Record<string, string> = {};
  let destroy = true;
  const allowed = kind === 'moved' ? ['from', 'to'] : ['from', 'lifecycle'];
  for (const [k, v] of entries(body)) {
    if (!allowed.includes(k)) {
      diagnostics.push(
        diag(
          k === 'provisioner' || k === 'connection' ? 'CONFIG_UNSUPPORTED' : 'CONFIG_SCHEMA',
          `Unsupported argument "${k}" in a ${kind} block`,
          kind === 'moved'
            ? 'A moved block takes `from` and `to` (resource addresses).'
            : 'A removed block takes `from` (a resource address) and `lifecycle { destroy = true|false }`.',
          at([k]),
        ),
      );
      continue;
    }
    if (k === 'lifecycle') {
      for (const lc of objs(v))
        for (const [lk, lv] of entries(lc)) {
          const value = plain(lv);
          if (lk === 'destroy' && typeof value === 'boolean') destroy = value;
          else
            diagnostics.push(
              diag(
                'CONFIG_SCHEMA',
                lk === 'destroy'
                  ? 'Invalid lifecycle.destroy in a removed block'
                  : `Unsupported argument "lifecycle.${lk}" in a removed block`,
                "A removed block's lifecycle takes `destroy = true` (destroy the objects, the default) or `destroy = false` (forget them: they are removed from the state, not destroyed); the value must be a literal.",
                at([k, lk]),
              ),
            );
        }
      continue;
    }
    const text = bareTraversal(v);
    // MODULES: a module address (`module.NAME`, `module.NAME["KEY"]`): a moved block moves a
    // module call's objects (both sides module addresses), a removed block removes a call.
    if (text !== undefined && /^module\./.test(text) && parseModuleAddress(text).ok) {
      addrs[k] = text;
      continue;
    }
    const parsed = text === undefined ? undefined : parseResourceAddress(text);
    if (!parsed?.ok || parsed.address.mode === 'data') {
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Invalid "${k}" address in a ${kind} block`,
          `${parsed && !parsed.ok ? `${parsed.error} ` : ''}Write a resource address without quotes: TYPE.NAME, TYPE.NAME[N] or TYPE.NAME["KEY"], in a module as module.NAME.TYPE.NAME, or a module address: module.NAME.`,
          at([k]),
        ),
      );
      continue;
    }
    addrs[k] = text!;
  }
  for (const need of kind === 'moved' ? ['from', 'to'] : ['from'])
    if (addrs[need] === undefined && !diagnostics.length)
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Missing required argument "${need}" in a ${kind} block`,
          kind === 'moved'
            ? 'Write moved { from = OLD_ADDRESS  to = NEW_ADDRESS }.'
            : 'Write removed { from = ADDRESS  lifecycle { destroy = false } }.',
          pos,
        ),
      );
  if (
    kind === 'moved' &&
    !diagnostics.length &&
    addrs.from !== undefined &&
    addrs.to !== undefined &&
    parseResourceAddress(addrs.from).ok !== parseResourceAddress(addrs.to).ok
  )
    diagnostics.push(
      diag(
        'CONFIG_SCHEMA',
        'Invalid "moved" addresses',
        'The "from" and "to" addresses must either both refer to module calls (module.NAME) or both refer to resources.',
        pos,
      ),
    );
  if (diagnostics.length) return { diagnostics };
  return kind === 'moved'
    ? { moved: { from: addrs.from!, to: addrs.to!, pos }, diagnostics }
    : { removed: { from: addrs.from!, destroy, pos }, diagnostics };
}
